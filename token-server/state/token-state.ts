// Token state: everything about tokens that is not in the token itself. Redis in a
// cluster (redis-state.ts), process memory standalone (memory-state.ts); later grants
// add refresh tokens and authorization codes here. Every value carries a TTL so
// nothing outlives the token it is about.

/** The claims of an access token, as introspection reports them. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  scope?: string;
  jti: string;
  iat: number;
  exp: number;
}

/**
 * A refresh token as stored: under the SHA-256 of the token (tokens/refresh-tokens.ts),
 * never the token itself. Times are epoch seconds.
 */
export interface RefreshTokenRecord {
  clientId: string;
  /** Every refresh token rotated from one grant shares the family; reuse of a rotated-out one revokes it. */
  familyId: string;
  sub: string;
  /** The scope of the grant: a refresh may narrow the access token's scope, never this. */
  scope: string[];
  audience: string[];
  /** Extra access-token claims the grant mapped in (identity mapping's claimMappings). */
  claims: Record<string, unknown>;
  /** The grant type that started the family (password, jwt-bearer, ...). */
  grantType: string;
  /** When the family's grant happened: revokeTokensIssuedBefore and a client's deletion are compared to it. */
  authTime: number;
  issuedAt: number;
  expiresAt: number;
}

/**
 * An authorization code as stored (RFC 6749 §4.1.2): under the SHA-256 of the code,
 * never the code itself, with everything the token exchange must check it against.
 * Times are epoch seconds.
 */
export interface AuthorizationCodeRecord {
  clientId: string;
  redirectUri: string;
  /** Whether the authorization request named redirect_uri (then the token request must repeat it, §4.1.3). */
  redirectUriInRequest: boolean;
  /** RFC 7636 S256 challenge; absent only for a confidential client that does not require PKCE. */
  codeChallenge?: string;
  scope: string[];
  audience: string[];
  sub: string;
  authTime: number;
  /** The refresh-token family every token issued from this code joins, so a replay can revoke them all. */
  familyId: string;
  issuedAt: number;
  expiresAt: number;
}

/** What taking a code found: its first use, or a code already taken once (a replay). */
export interface TakenAuthorizationCode {
  firstUse: boolean;
  record: AuthorizationCodeRecord;
}

/** Short records of the browser side of the authorization endpoint (token-server/sessions, authorize/). */
export type InteractionRecordKind = "session" | "interaction" | "consent";

/** A member of a refresh-token family: "rt:<hash>", "jwt:<jti>" or "opaque:<hash>", kept until it expires (epoch seconds). */
export interface FamilyMember {
  id: string;
  expiresAt: number;
}

export interface FailureCount {
  count: number;
  /** Seconds until the window (and the count) ends. */
  resetInSeconds: number;
}

export interface TokenState {
  /** True while the store can answer; used by /readyz and for fast fail-closed decisions. */
  readonly available: boolean;
  /** Marks `id` spent for `ttlSeconds`; false when it was already spent (a replay). */
  useOnce(namespace: string, id: string, ttlSeconds: number): Promise<boolean>;
  /** Whether `id` is spent in `namespace` (useOnce marked it), without spending it. */
  isUsed(namespace: string, id: string): Promise<boolean>;
  revokeJti(jti: string, ttlSeconds: number): Promise<void>;
  isJtiRevoked(jti: string): Promise<boolean>;
  putOpaqueToken(hash: string, claims: AccessTokenClaims, ttlSeconds: number): Promise<void>;
  getOpaqueToken(hash: string): Promise<AccessTokenClaims | undefined>;
  deleteOpaqueToken(hash: string): Promise<void>;
  putRefreshToken(hash: string, record: RefreshTokenRecord, ttlSeconds: number): Promise<void>;
  getRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined>;
  deleteRefreshToken(hash: string): Promise<void>;
  /**
   * Adds members (refresh-token hashes, access-token references) to a refresh-token
   * family, drops members that have expired, and keeps the family for at least
   * `ttlSeconds`. False when the family is revoked already, so the caller can take back
   * what it just issued.
   */
  addFamilyMembers(familyId: string, members: FamilyMember[], ttlSeconds: number): Promise<boolean>;
  /** Marks the family revoked for `ttlSeconds` and returns every member it had that has not expired. */
  revokeFamily(familyId: string, ttlSeconds: number): Promise<FamilyMember[]>;
  isFamilyRevoked(familyId: string): Promise<boolean>;
  putAuthorizationCode(hash: string, record: AuthorizationCodeRecord, ttlSeconds: number): Promise<void>;
  /**
   * Takes a code atomically: the first call gets it (firstUse) and leaves a "spent"
   * copy for `spentTtlSeconds`; any later call gets that copy (a replay); undefined
   * for a code never issued or expired unused.
   */
  takeAuthorizationCode(hash: string, spentTtlSeconds: number): Promise<TakenAuthorizationCode | undefined>;
  putInteractionRecord(kind: InteractionRecordKind, id: string, value: object, ttlSeconds: number): Promise<void>;
  getInteractionRecord<T extends object>(kind: InteractionRecordKind, id: string): Promise<T | undefined>;
  deleteInteractionRecord(kind: InteractionRecordKind, id: string): Promise<void>;
  /** Counts one failed authentication of `clientId` in a fixed window of `windowSeconds`. */
  countFailure(clientId: string, windowSeconds: number): Promise<FailureCount>;
  close(): Promise<void>;
}
