// The JWS algorithms accepted on JWTs signed by someone else (private_key_jwt client
// assertions, jwt-bearer grant assertions): asymmetric only. Never `none`, never HS*:
// a public key must not double as an HMAC secret, and client_secret_jwt is a
// different authentication method.
export const ASYMMETRIC_ALGORITHMS: readonly string[] = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];
