// The OAuthClient resource (tollgate.dev/v1alpha1) as TypeScript sees it.
// The CRD in crds/ is the source of truth; test/crd/types-match-schema.test.ts
// fails when a field here and the schema's field set drift apart.

export const GROUP = "tollgate.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "OAuthClient";
export const PLURAL = "oauthclients";

/** Annotation whose new value asks the operator to regenerate the client secret now. */
export const ROTATE_ANNOTATION = "tollgate.dev/rotate-secret";
export const FINALIZER = "tollgate.dev/registry";

export const GRANT_TYPES = [
  "authorization_code",
  "refresh_token",
  "client_credentials",
  "password",
  "urn:ietf:params:oauth:grant-type:saml2-bearer",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export type ClientType = "confidential" | "public";
export type TokenEndpointAuthMethod =
  | "client_secret_basic"
  | "client_secret_post"
  | "private_key_jwt"
  | "workload_identity"
  | "none";
export type RefreshIssuance = "reuse" | "rotate" | "rotateAndReset";

/** A key inside a Secret in the resource's namespace. */
export interface SecretKeyRef {
  name: string;
  key?: string;
}

/** The users Secret: htpasswd lines under `key`, and optionally their OpenID Connect claims under `claimsKey`. */
export interface UserDirectoryRef extends SecretKeyRef {
  /** Key of the users' claims (YAML or JSON, registry/user-claims.ts); default users.yaml, used when present. */
  claimsKey?: string;
}

export interface Jwks {
  keys: Record<string, unknown>[];
}

export interface JwtIssuer {
  issuer: string;
  jwks?: Jwks;
  jwksUri?: string;
  jwksSecretRef?: SecretKeyRef;
  /** Claim that becomes the token's sub; default "sub". */
  subjectClaim?: string;
  /**
   * Signature algorithms accepted from this issuer; default ["RS256", "ES256"]. The CRD
   * admits only RS/PS/ES 256-512 and EdDSA (never "none" or HMAC); the type stays string[].
   */
  algorithms?: string[];
  /** When set, only these subjects may be asserted by this issuer. */
  allowedSubjects?: string[];
}

export interface SamlIdp {
  entityId: string;
  /** PEM certificates that may sign assertions. */
  certificates?: string[];
  certificatesSecretRef?: SecretKeyRef;
  /** Attribute that becomes the token's sub; default: the NameID. */
  subjectAttribute?: string;
  /** When set, only these subjects may be asserted by this IdP. */
  allowedSubjects?: string[];
}

export interface ClaimMapping {
  /** Claim or SAML attribute name in the assertion. */
  from: string;
  /** Claim name in the access token. */
  to: string;
}

/**
 * Secretless in-cluster clients: pods of these ServiceAccounts (this namespace only)
 * authenticate with their projected ServiceAccount token as an RFC 7523 client assertion.
 */
export interface WorkloadIdentity {
  /** ServiceAccount names in the OAuthClient's own namespace. */
  serviceAccounts: string[];
  /** allow (default): a token authenticates until it expires; once: each token's jti once. */
  tokenReuse?: "allow" | "once";
}

export interface IdentityMapping {
  jwtIssuers?: JwtIssuer[];
  samlIdps?: SamlIdp[];
  claimMappings?: ClaimMapping[];
  /**
   * Refused (the CRD and the compiler): moved to each jwtIssuers[] and samlIdps[] entry.
   * In the schema only so an old manifest is refused rather than pruned.
   */
  allowedSubjects?: string[];
  /** Audiences an assertion may name besides this server's issuer and token endpoint. */
  audiences?: string[];
  /** Oldest acceptable assertion (by iat / IssueInstant), a duration; default 5m. */
  maxAssertionAge?: string;
  /** Secret of bcrypt htpasswd lines for the password grant and the login page. */
  userDirectorySecretRef?: UserDirectoryRef;
}

/** Key names inside the credentials Secret. The CRD defaults each when `keys` is present. */
export interface CredentialKeys {
  /** Default "client_id". */
  clientId?: string;
  /** Default "client_secret". */
  clientSecret?: string;
  /** Default "token_endpoint". */
  tokenEndpoint?: string;
  /** Default "issuer". */
  issuer?: string;
}

export interface SecretRotation {
  /** Rotate when the secret is older than this duration. */
  every?: string;
  /** How long the previous secret keeps working after a rotation; default 1h. */
  gracePeriod?: string;
  /** Revoke every token issued before the rotation. */
  revokeTokens?: boolean;
}

export interface Credentials {
  /** Name of the Secret to write (or adopt); default "<metadata.name>-oauth-client". */
  secretName?: string;
  keys?: CredentialKeys;
  secretTemplate?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** generate: the operator makes and owns the secret; adopt: an existing Secret holds it. */
  source?: "generate" | "adopt";
  rotation?: SecretRotation;
}

export interface OAuthClientSpec {
  displayName?: string;
  clientType?: ClientType;
  clientId?: string;
  grantTypes: GrantType[];
  redirectUris?: string[];
  /** Where OpenID Connect RP-initiated logout may return the browser; validated like redirectUris. */
  postLogoutRedirectUris?: string[];
  scopes?: string[];
  defaultScopes?: string[];
  audiences?: string[];
  defaultAudience?: string;
  /** Service identity that client-credentials tokens act as (the seed platform's operator ID). */
  subject?: string;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  /** The client's own keys, for private_key_jwt. */
  jwks?: Jwks;
  jwksUri?: string;
  jwksSecretRef?: SecretKeyRef;
  /** The ServiceAccounts whose tokens authenticate as this client (tokenEndpointAuthMethod workload_identity). */
  workloadIdentity?: WorkloadIdentity;
  accessToken?: { lifetime?: string; format?: "jwt" | "opaque" };
  refreshToken?: { lifetime?: string; issuance?: RefreshIssuance; forAssertionGrants?: boolean };
  identityMapping?: IdentityMapping;
  credentials?: Credentials;
  /** Skip the consent page (first-party apps). */
  skipConsent?: boolean;
  /** Require PKCE for this confidential client too; default true. */
  requirePkce?: boolean;
  /** No tokens; once in effect the Disabled condition is True and Ready stays True (reason Disabled). */
  disabled?: boolean;
  /** RFC 3339 timestamp: every token of this client issued before it is dead. */
  revokeTokensIssuedBefore?: string;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface OAuthClientStatus {
  /** 0 (the CRD's default) until the operator first writes status: kstatus reads InProgress. */
  observedGeneration?: number;
  /** Ready, Reconciling/Stalled (only while True), Disabled and the stages: operator/reconcile/status.ts. */
  conditions?: Condition[];
  clientId?: string;
  secretName?: string;
  secretRotatedAt?: string;
  /** Last value of the rotate annotation that was acted on. */
  rotationRequestHandled?: string;
  issuer?: string;
  tokenEndpoint?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface OAuthClient {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: OAuthClientSpec;
  status?: OAuthClientStatus;
}
