// A client as the token server holds it: the registry record and what is derived from
// it (the allowed scopes as a set, its verification keys and its trusted JWT issuers',
// its own user directory), built once, when the record loads (client-cache.ts). A
// changed record brings a new entry, so nothing derived outlives the record it came
// from: no cache keyed on the record object, and nothing that depends on the client
// cache replacing that object.
import type { JWTVerifyGetKey } from "jose";
import type { ClientRecord } from "../registry/record.ts";
import { compactRecord } from "./compact-record.ts";
import { type UserDirectory, userDirectory } from "./users/user-directory.ts";
import { jwksKeys } from "./verification-keys.ts";

export interface ClientEntry {
  readonly record: ClientRecord;
  readonly allowedScopes: ReadonlySet<string>;
  /** The client's own keys (private_key_jwt): its inline JWKS, or its JWKS URL's shared set. */
  readonly keys: JWTVerifyGetKey | undefined;
  /** The keys of each JWT issuer its identity mapping trusts, by issuer. */
  readonly issuerKeys: ReadonlyMap<string, JWTVerifyGetKey | undefined>;
  /** Its own user directory (identity mapping `users`); the server-wide one is users/default-users.ts's. */
  readonly users: UserDirectory | undefined;
}

/** One Set per shared scope list (compact-record.ts shares the lists), and one empty issuer map. */
const scopeSets = new WeakMap<readonly string[], ReadonlySet<string>>();
const NO_ISSUERS: ReadonlyMap<string, JWTVerifyGetKey | undefined> = new Map();

export function clientEntry(parsed: ClientRecord): ClientEntry {
  const record = compactRecord(parsed);
  const mapping = record.identityMapping;
  let allowedScopes = scopeSets.get(record.scopes);
  if (!allowedScopes) {
    allowedScopes = new Set(record.scopes);
    scopeSets.set(record.scopes, allowedScopes);
  }
  const issuers = mapping?.jwtIssuers ?? [];
  return {
    record,
    allowedScopes,
    keys: jwksKeys(record),
    issuerKeys: issuers.length === 0 ? NO_ISSUERS : new Map(issuers.map((issuer) => [issuer.issuer, jwksKeys(issuer)])),
    users: mapping?.users ? userDirectory(mapping.users) : undefined,
  };
}
