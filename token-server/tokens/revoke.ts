// RFC 7009 §2.1: the one revocation decision, for every kind of token this server
// issues. A token of another client is refused with invalid_grant (RFC 6749 §5.2: a
// grant "issued to another client"), whatever its kind; a refresh token takes its
// whole family with it, access tokens included; a token that is unknown, expired or
// not ours needs nothing (§2.2: not an error).
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../context.ts";
import { InvalidGrant } from "../errors.ts";
import { needState } from "../state/availability.ts";
import { findToken } from "./find-token.ts";
import { hashOpaqueToken } from "./opaque-access-token.ts";
import { findRefreshToken, isRefreshTokenShaped, revokeFamily } from "./refresh-tokens.ts";

export async function revoke(server: TokenServer, token: string, client: ClientRecord): Promise<void> {
  if (isRefreshTokenShaped(token)) {
    const record = await findRefreshToken(server, token);
    if (!record) return;
    refuseForeign(record.clientId, client);
    await revokeFamily(server, record, "revoked by the client (RFC 7009)");
    return;
  }
  const found = await findToken(server, token);
  if (!found) return;
  refuseForeign(found.claims.client_id, client);
  const remaining = found.claims.exp - Math.floor(Date.now() / 1000);
  if (remaining <= 0) return;
  if (found.format === "opaque")
    await needState("revoking a token", () => server.state.deleteOpaqueToken(hashOpaqueToken(token)));
  else await needState("revoking a token", () => server.state.revokeJti(found.claims.jti, remaining));
  server.log.info("token revoked", { client_id: client.clientId, jti: found.claims.jti });
}

function refuseForeign(owner: string, client: ClientRecord): void {
  if (owner !== client.clientId)
    throw new InvalidGrant(
      "the token was not issued to this client",
      `token of ${owner} presented by ${client.clientId}`,
    );
}
