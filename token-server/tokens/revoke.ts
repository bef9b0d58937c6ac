// RFC 7009 §2.1: the one revocation decision, for every kind of token this server
// issues. A live token of another client is refused with invalid_grant (RFC 6749 §5.2:
// a grant "issued to another client"), whatever its kind; a refresh token takes its
// whole family with it, access tokens included; a token that is unknown, dead (by the
// same liveness introspection uses) or not ours needs nothing (§2.2: not an error).
import type { ClientRecord } from "../../registry/record.ts";
import { InvalidGrant } from "../errors.ts";
import type { TokenServer } from "../request-context.ts";
import { familyOf, revokeFamily } from "./family.ts";
import { findToken, ownerOf } from "./find-token.ts";
import { liveness } from "./liveness.ts";
import { hashOpaqueToken } from "./opaque-access-token.ts";

export async function revoke(server: TokenServer, token: string, client: ClientRecord): Promise<void> {
  const found = await findToken(server, token);
  const now = Math.floor(Date.now() / 1000);
  if (!found) return;
  // A dead token (expired, revoked, its family or client gone) is an invalid token to
  // RFC 7009 §2.2: 200, nothing to do, whoever presents it. A rotated-out refresh token
  // is not dead here: its owner revoking it ends the family, as reuse would.
  if (!(await liveness(server, found)).active) return;
  const owner = ownerOf(found);
  if (owner !== client.clientId)
    throw new InvalidGrant(
      "the token was not issued to this client",
      `token of ${owner} presented by ${client.clientId}`,
    );
  if (found.kind === "refresh") {
    await revokeFamily(server, familyOf(found.record), "revoked by the client (RFC 7009)");
    return;
  }
  const remaining = found.claims.exp - now;
  if (remaining <= 0) return;
  if (found.format === "opaque") await server.state.opaque.delete(hashOpaqueToken(token));
  else await server.state.revocations.revoke(found.claims.jti, remaining);
  server.log.info("token revoked", { client_id: client.clientId, jti: found.claims.jti });
}
