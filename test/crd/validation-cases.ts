// The OAuthClient CRD's validation cases, one fault per rejected manifest, with the
// causes the API server reports (field, and the message or part of it), and the values
// at the edge of each rule that must be accepted. Asked of a real kube-apiserver
// (validation.test.ts) and of standalone mode's validator
// (test/unit/api/standalone-validation.test.ts), which must refuse exactly the same.
import type { Json } from "./kube.ts";

export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const SAML2_BEARER = "urn:ietf:params:oauth:grant-type:saml2-bearer";
export const PUBLIC_KEY = { kty: "EC", crv: "P-256", x: "INS-DotKjJr7qIpLQhI-PC1AiQpyejsfvdEjqs-T0wE", y: "GsmC" };
export const PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUAA==\n-----END CERTIFICATE-----\n";

/** The messages the CRD's rules report, as a person reads them in `kubectl apply` output. */
export const M = {
  authCodeNeedsRedirect: "the authorization_code grant needs at least one redirect URI in redirectUris",
  fragment: 'a redirect URI must not contain a fragment ("#..."), RFC 6749 section 3.1.2',
  whitespace: "a redirect URI must not contain whitespace",
  redirectScheme:
    "a redirect URI must be https (https://app.example.com/callback), http on a loopback address, or a private-use scheme in reverse-domain form with a single slash (com.example.app:/callback), RFC 8252 section 7; the scheme in lower case",
  httpsHost: "an https redirect URI must be an absolute URL with a host, like https://app.example.com/callback",
  httpLoopback:
    "plain http redirect URIs are allowed only on a loopback address (http://127.0.0.1, http://[::1] or http://localhost), RFC 8252 section 7.3; use https otherwise",
  refreshNeedsGrant:
    "refresh_token needs a grant that issues refresh tokens: authorization_code, password, or an assertion grant (jwt-bearer, saml2-bearer) with refreshToken.forAssertionGrants: true. client_credentials never issues refresh tokens.",
  jwtBearerNeedsIssuer:
    "the jwt-bearer grant needs at least one trusted issuer in identityMapping.jwtIssuers (whose keys sign the assertions)",
  samlBearerNeedsIdp:
    "the saml2-bearer grant needs at least one trusted SAML identity provider in identityMapping.samlIdps (whose certificates sign the assertions)",
  publicGrants:
    "a public client can use only authorization_code (with PKCE) and refresh_token; client_credentials, password and the assertion grants need a confidential client",
  publicAuthMethod: "a public client has no secret and no keys: tokenEndpointAuthMethod must be none (or left unset)",
  noneOnlyPublic:
    "tokenEndpointAuthMethod none is only for public clients (clientType: public); a confidential client authenticates with its secret or with private_key_jwt",
  publicPkce: "a public client always uses PKCE: remove requirePkce: false",
  publicRotation: "a public client has no secret to rotate: remove credentials.rotation",
  privateKeyJwtKeys: "private_key_jwt needs the client's public keys: set jwks, jwksUri or jwksSecretRef",
  oneKeySource: "set only one of jwks, jwksUri and jwksSecretRef",
  workloadMethod:
    "a client with workloadIdentity authenticates with its ServiceAccount token: tokenEndpointAuthMethod must be workload_identity (or left unset)",
  workloadNeedsAccounts:
    "workload_identity needs workloadIdentity.serviceAccounts: the ServiceAccounts that may authenticate as this client",
  workloadPublic:
    "a client with workloadIdentity is confidential (its pods prove who they are): remove clientType public",
  workloadCredentials:
    "a client with workloadIdentity has no secret to rotate or adopt: remove credentials.rotation and credentials.source",
  workloadAccountName: "must be a ServiceAccount name of this namespace",
  privateJwk:
    'a JWK here must be a public key: remove the private key member "d" (and rotate that key, it has been exposed)',
  httpsUrl: "must be an https URL (http only on a loopback address, for development), without a fragment",
  issuerKeys: "a trusted JWT issuer needs exactly one source of keys: jwks, jwksUri or jwksSecretRef",
  idpCerts: "a trusted SAML IdP needs its signing certificates: certificates (inline PEM) or certificatesSecretRef",
  pem: "each entry must be one PEM certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----",
  reservedClaim:
    "cannot map onto a claim the token server sets itself (iss, sub, aud, exp, nbf, iat, jti, client_id, scope, auth_time, acr, amr, cnf, act, tollgate.dev/namespace)",
  defaultScopes: "every entry of defaultScopes must also be listed in scopes",
  defaultAudience: "defaultAudience must be one of audiences",
  scope:
    "a scope is a single token of printable ASCII without spaces, double quotes or backslashes (RFC 6749 section 3.3), like orders:read",
  audience:
    "an audience is an absolute URI without a fragment (https://api.example.com, urn:example:orders) or a simple identifier of letters, digits and . _ ~ - (orders-api)",
  clientIdChars:
    "clientId may use only letters, digits and . _ ~ - (starting with a letter or digit): it travels unencoded in HTTP Basic credentials, URLs and file names",
  clientIdRemoved:
    "clientId cannot be removed once set: applications already use it. Create a new OAuthClient for a new ID.",
  accessLifetime: "accessToken.lifetime must be a duration between 1m and 24h, like 15m or 1h",
  refreshLifetime: "refreshToken.lifetime must be a duration between 5m and 8760h, like 720h",
  allowedSubjectsMoved:
    "identityMapping.allowedSubjects moved to each jwtIssuers[] and samlIdps[] entry (one issuer must not speak for another's subjects); move the list there",
  assertionAge: "identityMapping.maxAssertionAge must be a duration between 10s and 1h, like 5m",
  rotationEvery: "credentials.rotation.every must be a duration of at least 1h, like 2160h",
  gracePeriod: "credentials.rotation.gracePeriod must be a duration between 0s and 168h, like 1h",
  graceLongerThanEvery:
    "rotation.gracePeriod must not be longer than rotation.every, or more than one old secret would still be working",
  adoptNeedsName: "credentials.source adopt needs credentials.secretName: the existing Secret to adopt",
  secretName:
    'must be a Secret name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
  secretKey: 'must be a Secret key: letters, digits, "-", "_" and "."',
  metadataKeys:
    'keys must be label/annotation keys: an optional DNS-subdomain prefix and "/", then a name of at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit (like app.kubernetes.io/name)',
  labelValue:
    'a label value is empty or at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  longName:
    'the default Secret name "<metadata.name>-oauth-client" would be longer than 253 characters: use a name of at most 240 characters or set spec.credentials.secretName',
};

export const cc = (extra: Json = {}): Json => ({ grantTypes: ["client_credentials"], ...extra });
export const authCode = (extra: Json = {}): Json => ({
  grantTypes: ["authorization_code"],
  redirectUris: ["https://app.example.com/callback"],
  ...extra,
});
export const publicApp = (extra: Json = {}): Json => authCode({ clientType: "public", ...extra });
/** A jwt-bearer client trusting one issuer; `mapping` adds to its identityMapping. */
export const withIssuer = (issuer: Json = { jwksUri: "https://ci.example.com/jwks" }, mapping: Json = {}): Json => ({
  grantTypes: [JWT_BEARER],
  identityMapping: { jwtIssuers: [{ issuer: "https://ci.example.com", ...issuer }], ...mapping },
});
/** A saml2-bearer client trusting one IdP; `mapping` adds to its identityMapping. */
export const withIdp = (idp: Json = { certificates: [PEM] }, mapping: Json = {}): Json => ({
  grantTypes: [SAML2_BEARER],
  identityMapping: { samlIdps: [{ entityId: "https://idp.example.com", ...idp }], ...mapping },
});

/** A field and (part of) the message the API server reports for it. */
export type Expected = [field: string, message: string];

/** Reported beside a type, enum or format error: the API server skips CEL on such an object. */
export const CEL_SKIPPED: Expected = [
  "<nil>",
  "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
];

export interface RejectCase {
  name: string;
  spec: Json;
  metadata?: Json;
  expect: Expected[];
}

export const longName = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}`; // 243 characters

export const rejected: RejectCase[] = [
  // Redirect URIs
  {
    name: "authorization_code without redirect URIs",
    spec: { grantTypes: ["authorization_code"] },
    expect: [["spec.redirectUris", M.authCodeNeedsRedirect]],
  },
  {
    name: "authorization_code with an empty redirect URI list",
    spec: authCode({ redirectUris: [] }),
    expect: [["spec.redirectUris", M.authCodeNeedsRedirect]],
  },
  {
    name: "a redirect URI with a fragment",
    spec: authCode({ redirectUris: ["https://app.example.com/cb#top"] }),
    expect: [["spec.redirectUris[0]", M.fragment]],
  },
  {
    name: "a plain http redirect URI off loopback",
    spec: authCode({ redirectUris: ["http://app.example.com/cb"] }),
    expect: [["spec.redirectUris[0]", M.httpLoopback]],
  },
  {
    name: "a plain http redirect URI on a loopback look-alike host",
    spec: authCode({ redirectUris: ["http://127.0.0.1.evil.example/cb"] }),
    expect: [["spec.redirectUris[0]", M.httpLoopback]],
  },
  {
    name: "a post-logout redirect URI over plain http off loopback (checked like redirectUris)",
    spec: authCode({ postLogoutRedirectUris: ["http://app.example.com/bye"] }),
    expect: [["spec.postLogoutRedirectUris[0]", M.httpLoopback]],
  },
  {
    name: "a post-logout redirect URI with a fragment",
    spec: authCode({ postLogoutRedirectUris: ["https://app.example.com/bye#now"] }),
    expect: [["spec.postLogoutRedirectUris[0]", M.fragment]],
  },
  {
    name: "a relative redirect URI",
    spec: authCode({ redirectUris: ["/oauth2/callback"] }),
    expect: [["spec.redirectUris[0]", M.redirectScheme]],
  },
  {
    name: "a private-use scheme that is not reverse-domain",
    spec: authCode({ redirectUris: ["myapp:/callback"] }),
    expect: [["spec.redirectUris[0]", M.redirectScheme]],
  },
  {
    name: "a private-use scheme with an authority (two slashes)",
    spec: authCode({ redirectUris: ["com.example.app://callback"] }),
    expect: [["spec.redirectUris[0]", M.redirectScheme]],
  },
  {
    name: "an upper-case scheme",
    spec: authCode({ redirectUris: ["HTTPS://app.example.com/cb"] }),
    expect: [["spec.redirectUris[0]", M.redirectScheme]],
  },
  {
    name: "an https redirect URI without a host",
    spec: authCode({ redirectUris: ["https:///callback"] }),
    expect: [["spec.redirectUris[0]", M.httpsHost]],
  },
  {
    name: "a redirect URI with whitespace",
    spec: authCode({ redirectUris: ["com.example.app:/call back"] }),
    expect: [["spec.redirectUris[0]", M.whitespace]],
  },
  // Refresh tokens
  {
    name: "refresh_token alone",
    spec: { grantTypes: ["refresh_token"] },
    expect: [["spec.grantTypes", M.refreshNeedsGrant]],
  },
  {
    name: "refresh_token with client_credentials",
    spec: cc({ grantTypes: ["client_credentials", "refresh_token"] }),
    expect: [["spec.grantTypes", M.refreshNeedsGrant]],
  },
  {
    name: "refresh_token with an assertion grant but without refreshToken.forAssertionGrants",
    spec: { ...withIssuer(), grantTypes: [JWT_BEARER, "refresh_token"] },
    expect: [["spec.grantTypes", M.refreshNeedsGrant]],
  },
  // allowedSubjects are per issuer and per IdP; the old mapping-wide list is refused, not pruned
  {
    name: "identityMapping.allowedSubjects (moved to each issuer and IdP)",
    spec: withIssuer(undefined, { allowedSubjects: ["alice"] }),
    expect: [["spec.identityMapping.allowedSubjects", M.allowedSubjectsMoved]],
  },
  // Assertion grants need their identity mapping
  {
    name: "jwt-bearer without identityMapping",
    spec: { grantTypes: [JWT_BEARER] },
    expect: [["spec.identityMapping.jwtIssuers", M.jwtBearerNeedsIssuer]],
  },
  {
    name: "jwt-bearer with an empty issuer list",
    spec: { grantTypes: [JWT_BEARER], identityMapping: { jwtIssuers: [] } },
    expect: [["spec.identityMapping.jwtIssuers", M.jwtBearerNeedsIssuer]],
  },
  {
    name: "saml2-bearer with JWT issuers but no SAML IdP",
    spec: { ...withIssuer(), grantTypes: [SAML2_BEARER] },
    expect: [["spec.identityMapping.samlIdps", M.samlBearerNeedsIdp]],
  },
  {
    name: "a JWT issuer without keys",
    spec: withIssuer({}),
    expect: [["spec.identityMapping.jwtIssuers[0]", M.issuerKeys]],
  },
  {
    name: "a JWT issuer with two key sources",
    spec: withIssuer({ jwksUri: "https://ci.example.com/jwks", jwksSecretRef: { name: "ci-jwks" } }),
    expect: [["spec.identityMapping.jwtIssuers[0]", M.issuerKeys]],
  },
  {
    name: "the same JWT issuer twice",
    spec: withIssuer(undefined, {
      jwtIssuers: [
        { issuer: "https://ci.example.com", jwksUri: "https://ci.example.com/jwks" },
        { issuer: "https://ci.example.com", jwksUri: "https://ci.example.com/jwks-2" },
      ],
    }),
    expect: [["spec.identityMapping.jwtIssuers[1]", "Duplicate value"]],
  },
  {
    name: "a JWT issuer's jwksUri over plain http",
    spec: withIssuer({ jwksUri: "http://ci.example.com/jwks" }),
    expect: [["spec.identityMapping.jwtIssuers[0].jwksUri", M.httpsUrl]],
  },
  {
    name: "a SAML IdP without certificates",
    spec: withIdp({}),
    expect: [["spec.identityMapping.samlIdps[0]", M.idpCerts]],
  },
  {
    name: "a SAML IdP certificate that is not PEM",
    spec: withIdp({ certificates: ["MIIBszCCAVmgAwIBAgIU"] }),
    expect: [["spec.identityMapping.samlIdps[0].certificates[0]", M.pem]],
  },
  {
    name: "a claim mapping onto sub",
    spec: withIdp(undefined, { claimMappings: [{ from: "employeeNumber", to: "sub" }] }),
    expect: [["spec.identityMapping.claimMappings[0].to", M.reservedClaim]],
  },
  {
    name: "a claim mapping onto the namespace claim (an assertion must not name another tenant)",
    spec: withIdp(undefined, { claimMappings: [{ from: "ns", to: "tollgate.dev/namespace" }] }),
    expect: [["spec.identityMapping.claimMappings[0].to", M.reservedClaim]],
  },
  // Public clients
  {
    name: "a public client with client_credentials",
    spec: publicApp({ grantTypes: ["authorization_code", "client_credentials"] }),
    expect: [["spec.grantTypes", M.publicGrants]],
  },
  {
    name: "a public client with password",
    spec: publicApp({ grantTypes: ["password"] }),
    expect: [["spec.grantTypes", M.publicGrants]],
  },
  {
    name: "a public client with a client secret",
    spec: publicApp({ tokenEndpointAuthMethod: "client_secret_basic" }),
    expect: [["spec.tokenEndpointAuthMethod", M.publicAuthMethod]],
  },
  {
    name: "a confidential client with tokenEndpointAuthMethod none",
    spec: cc({ tokenEndpointAuthMethod: "none" }),
    expect: [["spec.tokenEndpointAuthMethod", M.noneOnlyPublic]],
  },
  {
    name: "a public client without PKCE",
    spec: publicApp({ requirePkce: false }),
    expect: [["spec.requirePkce", M.publicPkce]],
  },
  {
    name: "a public client with secret rotation",
    spec: publicApp({ credentials: { rotation: { every: "720h" } } }),
    expect: [["spec.credentials.rotation", M.publicRotation]],
  },
  // The client's own keys
  {
    name: "private_key_jwt without keys",
    spec: cc({ tokenEndpointAuthMethod: "private_key_jwt" }),
    expect: [["spec.tokenEndpointAuthMethod", M.privateKeyJwtKeys]],
  },
  // Workload identity
  {
    name: "workloadIdentity with a secret method",
    spec: cc({ tokenEndpointAuthMethod: "client_secret_basic", workloadIdentity: { serviceAccounts: ["orders"] } }),
    expect: [["spec.tokenEndpointAuthMethod", M.workloadMethod]],
  },
  {
    name: "workload_identity without workloadIdentity",
    spec: cc({ tokenEndpointAuthMethod: "workload_identity" }),
    expect: [["spec.tokenEndpointAuthMethod", M.workloadNeedsAccounts]],
  },
  {
    name: "workloadIdentity on a public client",
    spec: publicApp({ workloadIdentity: { serviceAccounts: ["orders"] } }),
    expect: [["spec.workloadIdentity", M.workloadPublic]],
  },
  {
    name: "workloadIdentity with secret rotation",
    spec: cc({ workloadIdentity: { serviceAccounts: ["orders"] }, credentials: { rotation: { every: "720h" } } }),
    expect: [["spec.credentials", M.workloadCredentials]],
  },
  {
    name: "workloadIdentity naming another namespace's ServiceAccount",
    spec: cc({ workloadIdentity: { serviceAccounts: ["other-ns/orders"] } }),
    expect: [["spec.workloadIdentity.serviceAccounts[0]", M.workloadAccountName]],
  },
  {
    name: "both jwks and jwksUri",
    spec: cc({
      tokenEndpointAuthMethod: "private_key_jwt",
      jwks: { keys: [PUBLIC_KEY] },
      jwksUri: "https://app.example.com/jwks",
    }),
    expect: [["spec.jwks", M.oneKeySource]],
  },
  {
    name: "a private key in jwks",
    spec: cc({ tokenEndpointAuthMethod: "private_key_jwt", jwks: { keys: [{ ...PUBLIC_KEY, d: "c2VjcmV0" }] } }),
    expect: [["spec.jwks.keys[0]", M.privateJwk]],
  },
  {
    name: "a symmetric key in jwks",
    spec: cc({ tokenEndpointAuthMethod: "private_key_jwt", jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }),
    expect: [["spec.jwks.keys[0].kty", 'Unsupported value: "oct": supported values: "EC", "RSA", "OKP"'], CEL_SKIPPED],
  },
  {
    name: "a jwksUri with a fragment",
    spec: cc({ tokenEndpointAuthMethod: "private_key_jwt", jwksUri: "https://app.example.com/jwks#k1" }),
    expect: [["spec.jwksUri", M.httpsUrl]],
  },
  // Scopes and audiences
  { name: "a scope with a space", spec: cc({ scopes: ["orders read"] }), expect: [["spec.scopes[0]", M.scope]] },
  { name: "a scope with a double quote", spec: cc({ scopes: ['orders"read'] }), expect: [["spec.scopes[0]", M.scope]] },
  { name: "a scope with a backslash", spec: cc({ scopes: ["orders\\read"] }), expect: [["spec.scopes[0]", M.scope]] },
  {
    name: "a scope with a non-ASCII character",
    spec: cc({ scopes: ["bestellungen:lesen\u00e4"] }),
    expect: [["spec.scopes[0]", M.scope]],
  },
  {
    name: "a malformed default scope",
    spec: cc({ scopes: ["a"], defaultScopes: ["a", "b c"] }),
    expect: [
      ["spec.defaultScopes[1]", M.scope],
      ["spec.defaultScopes", M.defaultScopes],
    ],
  },
  {
    name: "a default scope that is not allowed",
    spec: cc({ scopes: ["orders:read"], defaultScopes: ["orders:write"] }),
    expect: [["spec.defaultScopes", M.defaultScopes]],
  },
  {
    name: "default scopes without scopes",
    spec: cc({ defaultScopes: ["orders:read"] }),
    expect: [["spec.defaultScopes", M.defaultScopes]],
  },
  {
    name: "a default audience that is not allowed",
    spec: cc({ audiences: ["orders-api"], defaultAudience: "billing-api" }),
    expect: [["spec.defaultAudience", M.defaultAudience]],
  },
  {
    name: "a default audience without audiences",
    spec: cc({ defaultAudience: "orders-api" }),
    expect: [["spec.defaultAudience", M.defaultAudience]],
  },
  {
    name: "an audience with a space",
    spec: cc({ audiences: ["orders api"] }),
    expect: [["spec.audiences[0]", M.audience]],
  },
  {
    name: "an audience that is a relative path",
    spec: cc({ audiences: ["/orders"] }),
    expect: [["spec.audiences[0]", M.audience]],
  },
  {
    name: "an audience with a fragment",
    spec: cc({ audiences: ["https://api.example.com/#orders"] }),
    expect: [["spec.audiences[0]", M.audience]],
  },
  {
    name: "an assertion audience with a space",
    spec: withIssuer(undefined, { audiences: ["a b"] }),
    expect: [["spec.identityMapping.audiences[0]", M.audience]],
  },
  // clientId
  {
    name: "a clientId with a colon",
    spec: cc({ clientId: "orders:sync" }),
    expect: [["spec.clientId", M.clientIdChars]],
  },
  {
    name: "a clientId starting with a dot",
    spec: cc({ clientId: ".orders" }),
    expect: [["spec.clientId", M.clientIdChars]],
  },
  // Lifetimes: the edges of each bound are in the accepted list below
  {
    name: "an access token lifetime under 1m",
    spec: cc({ accessToken: { lifetime: "59s" } }),
    expect: [["spec.accessToken.lifetime", M.accessLifetime]],
  },
  {
    name: "an access token lifetime over 24h",
    spec: cc({ accessToken: { lifetime: "24h0m0.001s" } }),
    expect: [["spec.accessToken.lifetime", M.accessLifetime]],
  },
  {
    name: "an access token lifetime in words",
    spec: cc({ accessToken: { lifetime: "1 hour" } }),
    expect: [["spec.accessToken.lifetime", M.accessLifetime]],
  },
  {
    name: "an access token lifetime without a unit",
    spec: cc({ accessToken: { lifetime: "3600" } }),
    expect: [["spec.accessToken.lifetime", M.accessLifetime]],
  },
  {
    name: "a negative access token lifetime",
    spec: cc({ accessToken: { lifetime: "-1h" } }),
    expect: [["spec.accessToken.lifetime", M.accessLifetime]],
  },
  {
    name: "an access token lifetime in days",
    spec: cc({ accessToken: { lifetime: "1d" } }),
    expect: [["spec.accessToken.lifetime", M.accessLifetime]],
  },
  {
    name: "a refresh token lifetime under 5m",
    spec: authCode({ refreshToken: { lifetime: "4m59s" } }),
    expect: [["spec.refreshToken.lifetime", M.refreshLifetime]],
  },
  {
    name: "a refresh token lifetime over a year",
    spec: authCode({ refreshToken: { lifetime: "8761h" } }),
    expect: [["spec.refreshToken.lifetime", M.refreshLifetime]],
  },
  {
    name: "a maximum assertion age under 10s",
    spec: withIssuer(undefined, { maxAssertionAge: "9s" }),
    expect: [["spec.identityMapping.maxAssertionAge", M.assertionAge]],
  },
  {
    name: "a maximum assertion age over 1h",
    spec: withIssuer(undefined, { maxAssertionAge: "1h1s" }),
    expect: [["spec.identityMapping.maxAssertionAge", M.assertionAge]],
  },
  {
    name: "a rotation more often than hourly",
    spec: cc({ credentials: { rotation: { every: "59m", gracePeriod: "0s" } } }),
    expect: [["spec.credentials.rotation.every", M.rotationEvery]],
  },
  {
    name: "a grace period over a week",
    spec: cc({ credentials: { rotation: { gracePeriod: "168h1s" } } }),
    expect: [["spec.credentials.rotation.gracePeriod", M.gracePeriod]],
  },
  {
    name: "a grace period longer than the rotation interval",
    spec: cc({ credentials: { rotation: { every: "2h", gracePeriod: "3h" } } }),
    expect: [["spec.credentials.rotation.gracePeriod", M.graceLongerThanEvery]],
  },
  // Credentials
  {
    name: "adopting a Secret without naming it",
    spec: cc({ credentials: { source: "adopt" } }),
    expect: [["spec.credentials.secretName", M.adoptNeedsName]],
  },
  {
    name: "a Secret name with capitals",
    spec: cc({ credentials: { secretName: "Orders_Secret" } }),
    expect: [["spec.credentials.secretName", M.secretName]],
  },
  {
    name: "a Secret key with a slash",
    spec: cc({ credentials: { keys: { clientSecret: "oauth/secret" } } }),
    expect: [["spec.credentials.keys.clientSecret", M.secretKey]],
  },
  {
    name: "a referenced Secret with an invalid name",
    spec: cc({ tokenEndpointAuthMethod: "private_key_jwt", jwksSecretRef: { name: "-jwks" } }),
    expect: [["spec.jwksSecretRef.name", M.secretName]],
  },
  {
    name: "a Secret label key with a space",
    spec: cc({ credentials: { secretTemplate: { labels: { "team name": "payments" } } } }),
    expect: [["spec.credentials.secretTemplate.labels", M.metadataKeys]],
  },
  {
    name: "a Secret annotation key with two slashes",
    spec: cc({ credentials: { secretTemplate: { annotations: { "example.com/a/b": "x" } } } }),
    expect: [["spec.credentials.secretTemplate.annotations", M.metadataKeys]],
  },
  {
    name: "a Secret label value with a space",
    spec: cc({ credentials: { secretTemplate: { labels: { team: "payments team" } } } }),
    expect: [["spec.credentials.secretTemplate.labels[team]", M.labelValue]],
  },
  // Whole object
  {
    name: "a name too long for the default Secret name",
    spec: cc(),
    metadata: { name: longName },
    expect: [["<nil>", M.longName]],
  },
  // Schema (OpenAPI) checks, reported in the API server's own words
  { name: "no grant type", spec: { grantTypes: [] }, expect: [["spec.grantTypes", "should have at least 1 items"]] },
  {
    name: "an unknown grant type",
    spec: { grantTypes: ["implicit"] },
    expect: [["spec.grantTypes[0]", 'Unsupported value: "implicit"'], CEL_SKIPPED],
  },
  {
    name: "a duplicated grant type",
    spec: { grantTypes: ["client_credentials", "client_credentials"] },
    expect: [["spec.grantTypes[1]", 'Duplicate value: "client_credentials"']],
  },
  {
    name: "a revocation time that is not RFC 3339",
    spec: cc({ revokeTokensIssuedBefore: "yesterday" }),
    expect: [["spec.revokeTokensIssuedBefore", 'must be of type date-time: "yesterday"'], CEL_SKIPPED],
  },
];

export interface AcceptCase {
  name: string;
  spec: Json;
  metadata?: Json;
}

export const accepted: AcceptCase[] = [
  { name: "the smallest client", spec: cc() },
  {
    name: "every kind of allowed redirect URI",
    spec: authCode({
      redirectUris: [
        "https://app.example.com/oauth2/callback?tenant=a",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:8123/callback",
        "http://[::1]:8123/callback",
        "http://localhost:3000/callback",
        "com.example.app:/oauth2redirect",
        "com.example.app:/",
        "https://app.example.com:8443/cb",
      ],
    }),
  },
  {
    name: "OpenID Connect: post-logout redirect URIs and a users Secret with a claims key",
    spec: authCode({
      scopes: ["openid", "profile", "email", "groups"],
      postLogoutRedirectUris: [
        "https://app.example.com/signed-out",
        "http://127.0.0.1:8123/bye",
        "com.example.app:/bye",
      ],
      identityMapping: { userDirectorySecretRef: { name: "users", key: "htpasswd", claimsKey: "users.json" } },
    }),
  },
  {
    name: "a public client with PKCE and refresh tokens",
    spec: publicApp({
      grantTypes: ["authorization_code", "refresh_token"],
      tokenEndpointAuthMethod: "none",
      requirePkce: true,
    }),
  },
  { name: "a public client without an auth method", spec: publicApp() },
  { name: "refresh_token with password", spec: { grantTypes: ["password", "refresh_token"] } },
  { name: "password without a user directory (the server-wide default applies)", spec: { grantTypes: ["password"] } },
  {
    name: "refresh_token with an assertion grant and forAssertionGrants",
    spec: {
      ...withIdp({ certificatesSecretRef: { name: "idp-certs", key: "ca.crt" } }),
      grantTypes: [SAML2_BEARER, "refresh_token"],
      refreshToken: { forAssertionGrants: true },
    },
  },
  {
    name: "workloadIdentity with the method left unset, and with it set",
    spec: cc({ workloadIdentity: { serviceAccounts: ["orders", "orders.batch"], tokenReuse: "once" } }),
  },
  {
    name: "workloadIdentity with tokenEndpointAuthMethod workload_identity",
    spec: cc({ tokenEndpointAuthMethod: "workload_identity", workloadIdentity: { serviceAccounts: ["orders"] } }),
  },
  {
    name: "private_key_jwt with inline keys",
    spec: cc({ tokenEndpointAuthMethod: "private_key_jwt", jwks: { keys: [PUBLIC_KEY] } }),
  },
  {
    name: "private_key_jwt with a loopback jwksUri",
    spec: cc({ tokenEndpointAuthMethod: "private_key_jwt", jwksUri: "http://127.0.0.1:9000/jwks" }),
  },
  {
    name: "private_key_jwt with a Secret",
    spec: cc({ tokenEndpointAuthMethod: "private_key_jwt", jwksSecretRef: { name: "app-jwks" } }),
  },
  {
    name: "a SAML IdP with inline and Secret certificates",
    spec: withIdp({ certificates: [PEM, PEM.trim()], certificatesSecretRef: { name: "idp" } }),
  },
  {
    name: "scopes and audiences of every allowed form",
    spec: cc({
      scopes: ["orders:read", "https://api.example.com/orders.write", "a!#$%&'()*+,-./:;<=>?@[]^_`{|}~"],
      defaultScopes: ["orders:read"],
      audiences: ["https://api.example.com", "urn:example:orders", "orders-api", "api.example.com"],
      defaultAudience: "urn:example:orders",
    }),
  },
  { name: "a clientId of URL-safe characters", spec: cc({ clientId: "Orders-Sync_2.prod~eu" }) },
  {
    name: "lifetimes at their lower bounds",
    spec: authCode({
      grantTypes: ["authorization_code", "refresh_token"],
      accessToken: { lifetime: "1m" },
      refreshToken: { lifetime: "5m" },
    }),
  },
  {
    name: "lifetimes at their upper bounds",
    spec: authCode({
      grantTypes: ["authorization_code", "refresh_token"],
      accessToken: { lifetime: "24h" },
      refreshToken: { lifetime: "8760h" },
    }),
  },
  {
    name: "lifetimes in mixed and fractional units",
    spec: authCode({ accessToken: { lifetime: "1h30m" }, refreshToken: { lifetime: "1.5h" } }),
  },
  {
    name: "assertion age at 10s",
    spec: withIssuer(undefined, { maxAssertionAge: "10s" }),
  },
  {
    name: "assertion age at 1h",
    spec: withIssuer(undefined, { maxAssertionAge: "60m" }),
  },
  {
    name: "hourly rotation with no grace period",
    spec: cc({ credentials: { rotation: { every: "1h", gracePeriod: "0s" } } }),
  },
  {
    name: "a grace period of a week and the rotation it fits in",
    spec: cc({ credentials: { rotation: { every: "168h", gracePeriod: "168h" } } }),
  },
  {
    name: "Secret labels and annotations of every allowed form",
    spec: cc({
      credentials: {
        secretTemplate: {
          labels: { "app.kubernetes.io/name": "orders", team: "", "x.y_z-1": "A.b_c-9" },
          annotations: { "reloader.stakater.com/match": "true", note: 'free text: spaces, quotes " and all' },
        },
      },
    }),
  },
  { name: "adopting a named Secret", spec: cc({ credentials: { source: "adopt", secretName: "legacy-client" } }) },
  {
    name: "a long name with an explicit Secret name",
    spec: cc({ credentials: { secretName: "short" } }),
    metadata: { name: longName },
  },
  { name: "a name of exactly 240 characters", spec: cc(), metadata: { name: longName.slice(0, 240) } },
  {
    name: "an RFC 3339 revocation time with an offset",
    spec: cc({ revokeTokensIssuedBefore: "2026-01-31T12:00:00.5+01:00" }),
  },
];
