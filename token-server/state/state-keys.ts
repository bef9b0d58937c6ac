// Redis key names of the token state. Separate from the registry's keys
// (registry/registry-keys.ts): the registry is written by the operator, this by token servers.
// Versioned so an incompatible value shape can live beside the old one during an upgrade.
// Relative: the Redis store puts the installation's key prefix (--redis-key-prefix,
// "tollgate:" by default) in front, so the default names are "tollgate:state:v1:…".
//
// Keys used together in one atomic step carry one hash tag, so a Redis Cluster keeps them
// in one slot: a family's members and its revoked marker ({familyId}), a code and its spent
// copy ({hash}). Every other key stands alone and spreads over the cluster's slots.
export const STATE_PREFIX = "state:v1";

export const stateKeys = {
  /** String "1" while a one-time value (a client assertion's jti) is spent; TTL = the value's remaining life. */
  used: (namespace: string, id: string) => `${STATE_PREFIX}:used:${namespace}:${id}`,
  /** String "1" for a revoked access token's jti; TTL = the token's remaining life. */
  revokedJti: (jti: string) => `${STATE_PREFIX}:revoked:${jti}`,
  /** JSON claims of an opaque access token, by the SHA-256 of the token; TTL = its life. */
  opaqueToken: (hash: string) => `${STATE_PREFIX}:opaque:${hash}`,
  /** JSON RefreshTokenRecord, by the SHA-256 of the refresh token; TTL = until the token expires. */
  refreshToken: (hash: string) => `${STATE_PREFIX}:refresh:${hash}`,
  /** Sorted set of a refresh-token family's members ("rt:<hash>", "jwt:<jti>", "opaque:<hash>") scored by their expiry (epoch s); TTL = the family's life. */
  familyMembers: (familyId: string) => `${STATE_PREFIX}:family:{${familyId}}:members`,
  /**
   * The members' set under its name before the hash tag (a release that did not support Redis
   * Cluster). Read only, when a family is revoked, so the tokens of a family started before the
   * upgrade are still taken back; nothing is written there. Drop it once no such family can
   * live (the longest refresh-token lifetime after the upgrade).
   */
  legacyFamilyMembers: (familyId: string) => `${STATE_PREFIX}:family:${familyId}:members`,
  /** String "1" once a refresh-token family is revoked; TTL = the family's remaining life. */
  familyRevoked: (familyId: string) => `${STATE_PREFIX}:family:{${familyId}}:revoked`,
  /**
   * JSON AuthorizationCodeRecord by the SHA-256 of the code; TTL = the code's life (60 s). The
   * hash tag keeps it in one Redis Cluster slot with its spent copy, for the atomic take.
   */
  authorizationCode: (hash: string) => `${STATE_PREFIX}:code:{${hash}}`,
  /** The same JSON once the code is taken, for replay detection; TTL = the life of the tokens issued from it. */
  authorizationCodeSpent: (hash: string) => `${STATE_PREFIX}:code:{${hash}}:spent`,
  /** JSON login session, pending authorization request or remembered consent (InteractionRecordKind). */
  interactionRecord: (kind: string, id: string) => `${STATE_PREFIX}:${kind}:${id}`,
  /**
   * Integer count of failures in the current window; TTL = the window. Client authentication
   * counts under "client:<client>:<source>", the password throttle under
   * "password-user:<directory>:<username>" and "password-source:<directory>:<source>".
   */
  authFailures: (clientId: string) => `${STATE_PREFIX}:authfail:${clientId}`,
} as const;
