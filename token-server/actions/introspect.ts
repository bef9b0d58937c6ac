// POST /oauth2/introspect (RFC 7662). Callers authenticate as clients. A client that
// authenticates with a credential may introspect any token (resource servers are
// registered as clients for this); a public client (`none`) only its own tokens.
// Anything not active answers exactly {"active": false}, whatever the reason, which
// only the logs see.

import { authenticateClient } from "../client-auth/authenticate-client.ts";
import { type Ctx, param, type Step, type TokenServer } from "../context.ts";
import { InvalidRequest } from "../errors.ts";
import { noCache } from "../middleware/no-cache.ts";
import { observe } from "../middleware/observe.ts";
import { parseForm } from "../middleware/parse-form.ts";
import { rejectDupes } from "../middleware/reject-dupes.ts";
import { sendJson } from "../respond.ts";
import { findToken } from "../tokens/find-token.ts";
import { tokenLiveness } from "../tokens/token-liveness.ts";

async function introspectToken(ctx: Ctx): Promise<void> {
  const token = param(ctx, "token");
  if (!token) throw new InvalidRequest('the "token" parameter is required');
  const { server, client } = ctx.state;
  const found = await findToken(server, token);
  const liveness = found ? await tokenLiveness(server, found) : { active: false as const, reason: "not a token" };
  const foreign = found && ctx.state.authMethod === "none" && found.claims.client_id !== client?.clientId;
  if (!found || !liveness.active || foreign) {
    server.log.debug("introspection: inactive", {
      caller: client?.clientId,
      reason: foreign ? "public client asking about another client's token" : liveness.active ? "" : liveness.reason,
    });
    sendJson(ctx, { active: false });
    return;
  }
  const { claims } = found;
  sendJson(ctx, {
    active: true,
    ...(claims.scope === undefined ? {} : { scope: claims.scope }),
    client_id: claims.client_id,
    token_type: "Bearer",
    exp: claims.exp,
    iat: claims.iat,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
  });
}

export function introspectionEndpoint(server: TokenServer): Step[] {
  return [observe(server, "introspect"), noCache, parseForm, rejectDupes, authenticateClient, introspectToken];
}
