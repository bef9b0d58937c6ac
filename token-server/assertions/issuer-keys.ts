// The keys of a trusted JWT issuer: its inline JWKS, or its JWKS URL fetched by jose's
// createRemoteJWKSet, one cached set per URL shared by every client that trusts it.
// The remote set refetches when an assertion names a kid it does not hold (the
// issuer rotated its keys), at most once per cooldown, and otherwise after maxAge.
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type { CompiledJwtIssuer } from "../../registry/record.ts";

/** Refetches on an unknown kid at most this often per URL, so junk assertions cannot hammer the issuer. */
export const JWKS_COOLDOWN_MS = 5_000;
export const JWKS_MAX_AGE_MS = 10 * 60_000;

const inline = new WeakMap<CompiledJwtIssuer, JWTVerifyGetKey>();
const remote = new Map<string, JWTVerifyGetKey>();

export function issuerKeys(issuer: CompiledJwtIssuer): JWTVerifyGetKey | undefined {
  if (issuer.jwks) {
    let keys = inline.get(issuer);
    if (!keys) {
      keys = createLocalJWKSet(issuer.jwks as Parameters<typeof createLocalJWKSet>[0]);
      inline.set(issuer, keys);
    }
    return keys;
  }
  if (issuer.jwksUri) {
    let keys = remote.get(issuer.jwksUri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(issuer.jwksUri), {
        timeoutDuration: 3000,
        cooldownDuration: JWKS_COOLDOWN_MS,
        cacheMaxAge: JWKS_MAX_AGE_MS,
      });
      remote.set(issuer.jwksUri, keys);
    }
    return keys;
  }
  return undefined;
}
