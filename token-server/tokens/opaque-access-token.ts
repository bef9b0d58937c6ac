// Opaque access tokens: 256 random bits, meaningful only to this server. The token
// state keeps the claims under the token's SHA-256 (never the token itself) until it
// expires; introspection reads them back, revocation deletes them.
import { createHash, randomBytes } from "node:crypto";
import type { AccessTokenClaims } from "../state/token-records.ts";
import type { TokenState } from "../state/token-state.ts";

/** Prefix that tells an opaque token from a JWT at a glance (and to secret scanners). */
export const OPAQUE_PREFIX = "tgat_";

export function hashOpaqueToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

export async function issueOpaqueAccessToken(state: TokenState, claims: AccessTokenClaims): Promise<string> {
  const token = `${OPAQUE_PREFIX}${randomBytes(32).toString("base64url")}`;
  await state.opaque.put(hashOpaqueToken(token), claims, claims.exp - claims.iat);
  return token;
}
