// RFC 8414 authorization server metadata at /.well-known/oauth-authorization-server,
// and OpenID Connect Discovery 1.0 §3 metadata at /.well-known/openid-configuration:
// the same document plus the OpenID Provider fields (openid-configuration.ts). Each
// lists only what this server does.

import { SIGNING_ALGORITHMS } from "../../registry/signing-key-format.ts";
import { ASYMMETRIC_ALGORITHMS } from "../asymmetric-algorithms.ts";
import { authorizationEndpoint } from "../authorize/paths.ts";
import { PKCE_METHODS } from "../authorize/pkce.ts";
import { grants } from "../grants/index.ts";
import type { KeyRing } from "../key-ring.ts";
import type { Ctx, ServerSettings } from "../request-context.ts";

const AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];
/** Exactly what client authentication accepts (client-auth/verify-assertion.ts): one list, so they cannot disagree. */
const ASSERTION_ALGORITHMS = [...ASYMMETRIC_ALGORITHMS];

export function metadata(settings: ServerSettings, keys: KeyRing): Record<string, unknown> {
  return {
    issuer: settings.issuer,
    token_endpoint: settings.tokenEndpoint,
    jwks_uri: settings.jwksUri,
    introspection_endpoint: settings.introspectionEndpoint,
    revocation_endpoint: settings.revocationEndpoint,
    // The registrar (registrar/), a separate process: RFC 7591 registration creates OAuthClients.
    ...(settings.registrationEndpoint ? { registration_endpoint: settings.registrationEndpoint } : {}),
    grant_types_supported: [...grants.keys()],
    authorization_endpoint: authorizationEndpoint(settings.issuer),
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    code_challenge_methods_supported: [...PKCE_METHODS],
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    // The algorithm of the current key, then the others this server can be configured with.
    access_token_signing_alg_values_supported: [
      ...new Set([...(keys.current ? [keys.current.alg] : []), ...SIGNING_ALGORITHMS]),
    ],
  };
}

export function discovery(
  settings: ServerSettings,
  keys: KeyRing,
  document: (settings: ServerSettings, keys: KeyRing) => Record<string, unknown> = metadata,
) {
  return async function serveMetadata(ctx: Ctx): Promise<void> {
    ctx.set("Cache-Control", "public, max-age=300");
    ctx.body = document(settings, keys);
  };
}
