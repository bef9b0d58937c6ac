// The shapes of what the token state keeps (state/token-state.ts): records about
// tokens that are not in the token itself.
import type { RefreshIssuance } from "../../api/v1alpha1/oauthclient.ts";
import type { Identity } from "../identity-source.ts";

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
  /** The client's namespace (NAMESPACE_CLAIM), a private claim (RFC 7519 section 4.3). */
  [NAMESPACE_CLAIM]?: string;
}

/**
 * Where the client was declared: its OAuthClient's namespace. Named under the project's
 * domain so it cannot collide with another issuer's claim, the way Kubernetes'
 * service-account tokens use "kubernetes.io".
 */
export const NAMESPACE_CLAIM = "tollgate.dev/namespace";

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
  /** Who vouched for the subject (identity-source.ts); absent on records written before it was kept. */
  identity?: Identity;
  /** The client's refresh issuance when the family started; a family that rotated ends if the client turns to reuse. */
  issuance?: RefreshIssuance;
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
  /** OpenID Connect: the authorization request's nonce, for the ID token. */
  nonce?: string;
  scope: string[];
  audience: string[];
  sub: string;
  identity?: Identity;
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
