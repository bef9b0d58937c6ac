// The keys a client signs its private_key_jwt assertions with: its inline JWKS, or
// its jwks_uri fetched (and cached, with jose's cooldown) by createRemoteJWKSet.
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import type { ClientRecord } from "../../registry/record.ts";

const inline = new WeakMap<ClientRecord, JWTVerifyGetKey>();
const remote = new Map<string, JWTVerifyGetKey>();

export function clientKeys(record: ClientRecord): JWTVerifyGetKey | undefined {
  if (record.jwks) {
    let keys = inline.get(record);
    if (!keys) {
      keys = createLocalJWKSet(record.jwks as Parameters<typeof createLocalJWKSet>[0]);
      inline.set(record, keys);
    }
    return keys;
  }
  if (record.jwksUri) {
    let keys = remote.get(record.jwksUri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(record.jwksUri), { timeoutDuration: 3000 });
      remote.set(record.jwksUri, keys);
    }
    return keys;
  }
  return undefined;
}
