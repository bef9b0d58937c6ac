// Verification keys from a JWKS: a JWT issuer's (jwt-bearer grant) or a client's
// (private_key_jwt), inline or at a URL. An inline set is built with the client's entry
// (client-entry.ts); a URL is fetched by jose's createRemoteJWKSet, one cached set per URL shared
// by every record that names it. The remote set refetches when a JWT names a kid it
// does not hold (the keys were rotated), at most once per cooldown, and otherwise
// after maxAge.
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type { JsonWebKeySet } from "../registry/record.ts";

/** Refetches on an unknown kid at most this often per URL, so junk JWTs cannot hammer the key owner. */
export const JWKS_COOLDOWN_MS = 5_000;
export const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 3_000;

/** Where a registry record keeps its keys: an inline JWKS, else a JWKS URL. */
export interface KeySource {
  jwks?: JsonWebKeySet;
  jwksUri?: string;
}

const remote = new Map<string, JWTVerifyGetKey>();

/**
 * The source's keys; undefined when it has neither a JWKS nor a JWKS URL. Called once
 * per record, when its client entry is built (client-entry.ts).
 */
export function jwksKeys(source: KeySource): JWTVerifyGetKey | undefined {
  if (source.jwks) return createLocalJWKSet(source.jwks as Parameters<typeof createLocalJWKSet>[0]);
  if (source.jwksUri) {
    let keys = remote.get(source.jwksUri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(source.jwksUri), {
        timeoutDuration: JWKS_TIMEOUT_MS,
        cooldownDuration: JWKS_COOLDOWN_MS,
        cacheMaxAge: JWKS_MAX_AGE_MS,
      });
      remote.set(source.jwksUri, keys);
    }
    return keys;
  }
  return undefined;
}
