// POST /oauth2/revoke (RFC 7009). 200 with an empty body for a token that is revoked
// now, was dead already, or was never ours (§2.2: an invalid token is not an error).
// A live token of another client is refused (§2.1: the server verifies the token was
// issued to the requesting client) with invalid_grant, whose RFC 6749 §5.2 definition
// covers a grant "issued to another client". Revoking needs the token
// state; while it is down the answer is 503 (state/availability.ts).

import { authenticateClient } from "../client-auth/authenticate-client.ts";
import { type Ctx, requiredParam, type Step, type TokenServer } from "../context.ts";
import { InvalidGrant } from "../errors.ts";
import { noCache } from "../middleware/no-cache.ts";
import { observe } from "../middleware/observe.ts";
import { parseForm } from "../middleware/parse-form.ts";
import { rejectDupes } from "../middleware/reject-dupes.ts";
import { needState } from "../state/availability.ts";
import { findToken } from "../tokens/find-token.ts";
import { hashOpaqueToken } from "../tokens/opaque-access-token.ts";
import { revokeRefreshToken } from "../tokens/refresh-tokens.ts";

async function revokeToken(ctx: Ctx): Promise<void> {
  const token = requiredParam(ctx, "token");
  const { server, client } = ctx.state;
  ctx.status = 200;
  ctx.body = "";
  // A refresh token takes its whole family with it (RFC 7009 §2.1), access tokens included.
  if (await revokeRefreshToken(server, token, client?.clientId)) return;
  const found = await findToken(server, token);
  if (!found) return;
  if (found.claims.client_id !== client?.clientId) throw new InvalidGrant("the token was not issued to this client");
  const remaining = found.claims.exp - Math.floor(Date.now() / 1000);
  if (remaining <= 0) return;
  if (found.format === "opaque")
    await needState("revoking a token", () => server.state.deleteOpaqueToken(hashOpaqueToken(token)));
  else await needState("revoking a token", () => server.state.revokeJti(found.claims.jti, remaining));
  server.log.info("token revoked", { client_id: client.clientId, jti: found.claims.jti });
}

export function revocationEndpoint(server: TokenServer): Step[] {
  return [observe(server, "revoke"), noCache, parseForm, rejectDupes, authenticateClient, revokeToken];
}
