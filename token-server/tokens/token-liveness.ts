// Whether a token this server issued is still alive. Local checks first (expiry and
// the in-memory registry: client deleted, disabled, revoke-before timestamp), the
// revoked-jti set in the token state last, so an already-dead token never needs Redis.
import type { TokenServer } from "../context.ts";
import { needState } from "../state/availability.ts";
import type { FoundToken } from "./find-token.ts";

export type Liveness = { active: true } | { active: false; reason: string };

export async function tokenLiveness(server: TokenServer, { format, claims }: FoundToken): Promise<Liveness> {
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp <= now) return { active: false, reason: "expired" };
  const deletedAt = server.clients.tombstone(claims.client_id);
  const client = server.clients.get(claims.client_id);
  if (deletedAt !== undefined && deletedAt >= claims.iat) return { active: false, reason: "client deleted" };
  if (!client) return { active: false, reason: "client unknown" };
  if (client.disabled) return { active: false, reason: "client disabled" };
  if (client.revokeTokensIssuedBefore !== undefined && claims.iat < client.revokeTokensIssuedBefore)
    return { active: false, reason: "issued before the client's revokeTokensIssuedBefore" };
  // An opaque token's record is deleted on revocation; a JWT's jti is listed instead.
  if (format === "jwt" && (await needState("checking revocation", () => server.state.isJtiRevoked(claims.jti))))
    return { active: false, reason: "revoked" };
  return { active: true };
}
