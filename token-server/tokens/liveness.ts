// Whether a token this server issued is still alive: one policy for access and
// refresh tokens, asked by introspection, the refresh grant and the code exchange.
// Local checks first (expiry, then the in-memory registry: client deleted, unknown,
// disabled, revoke-before timestamp; for a refresh token, whether its grant still stands
// under the client's current registration, grant-standing.ts), the token state last, so an already-dead token
// never needs Redis.
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../request-context.ts";
import { familyOf, isRevoked } from "./family.ts";
import type { FoundToken } from "./find-token.ts";
import { grantWithdrawn } from "./grant-standing.ts";
import { hashRefreshToken, ROTATED_OUT } from "./refresh-tokens.ts";

export type Liveness = { active: true } | { active: false; reason: string };

const ALIVE: Liveness = { active: true };
const dead = (reason: string): Liveness => ({ active: false, reason });

/**
 * What the registry says of tokens of `clientId` from a grant at `grantedAt` (epoch
 * seconds: an access token's iat, a refresh token's or a code's sign-in time).
 */
export function registryVerdict(server: TokenServer, clientId: string, grantedAt: number): Liveness {
  const deletedAt = server.clients.tombstone(clientId);
  if (deletedAt !== undefined && deletedAt >= grantedAt) return dead("client deleted");
  const client: ClientRecord | undefined = server.clients.get(clientId);
  if (!client) return dead("client unknown");
  if (client.disabled) return dead("client disabled");
  if (client.revokeTokensIssuedBefore !== undefined && grantedAt < client.revokeTokensIssuedBefore)
    return dead("issued before the client's revokeTokensIssuedBefore");
  return ALIVE;
}

/**
 * `presented` is the refresh token as sent, whose rotation marker is kept under its
 * hash; leave it out where the caller settles rotation itself (the refresh grant
 * spends the token atomically and treats a second use as reuse).
 */
export async function liveness(server: TokenServer, found: FoundToken, presented?: string): Promise<Liveness> {
  const now = Math.floor(Date.now() / 1000);
  if (found.kind === "refresh") {
    const { record } = found;
    if (record.expiresAt <= now) return dead("expired");
    const verdict = registryVerdict(server, record.clientId, record.authTime);
    if (!verdict.active) return verdict;
    const client = server.clients.get(record.clientId) as ClientRecord;
    const withdrawn = grantWithdrawn(server, client, record);
    if (withdrawn !== undefined) return dead(withdrawn);
    if (await isRevoked(server, familyOf(record))) return dead("refresh-token family revoked");
    if (presented !== undefined && (await server.state.replay.isUsed(ROTATED_OUT, hashRefreshToken(presented))))
      return dead("refresh token rotated out");
    return ALIVE;
  }
  const { claims, format } = found;
  if (claims.exp <= now) return dead("expired");
  const verdict = registryVerdict(server, claims.client_id, claims.iat);
  if (!verdict.active) return verdict;
  // An opaque token's record is deleted on revocation; a JWT's jti is listed instead.
  if (format === "jwt" && (await server.state.revocations.isRevoked(claims.jti))) return dead("revoked");
  return ALIVE;
}
