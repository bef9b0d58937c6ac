// OpenID Connect Discovery 1.0 §3: the RFC 8414 document (discovery.ts) plus what an
// OpenID Provider must or should say. Served only at /.well-known/openid-configuration,
// so an OAuth-only client reading /.well-known/oauth-authorization-server sees none of it.
//
// id_token_signing_alg_values_supported lists the algorithms of the keys in the ring
// (current first, then next and previous), which are the ones ID tokens are actually
// signed with. Discovery §3 asks for RS256 always; it is listed only when the signing
// key is RSA (--signing-alg RS256, or the operator's key algorithm): advertising an
// algorithm this server does not sign with would break a client that picks it.
import { USER_CLAIM_NAMES } from "../../registry/user-claims.ts";
import { OPENID_PATHS, openidEndpoint } from "../authorize/paths.ts";
import type { KeyRing } from "../key-ring.ts";
import type { ServerSettings } from "../request-context.ts";
import { OPENID_SCOPES } from "../users/user-claims.ts";
import { metadata } from "./discovery.ts";

/** Claims of the ID token (tokens/id-token.ts) and of userinfo (users/user-claims.ts). */
const ID_TOKEN_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash"];

export function openidMetadata(settings: ServerSettings, keys: KeyRing): Record<string, unknown> {
  return {
    ...metadata(settings, keys),
    userinfo_endpoint: openidEndpoint(settings.issuer, OPENID_PATHS.userinfo),
    end_session_endpoint: openidEndpoint(settings.issuer, OPENID_PATHS.endSession),
    scopes_supported: OPENID_SCOPES,
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: signingAlgorithms(keys),
    claims_supported: [...ID_TOKEN_CLAIMS, ...USER_CLAIM_NAMES],
    claim_types_supported: ["normal"],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    require_request_uri_registration: false,
    prompt_values_supported: ["none", "login", "consent"],
    frontchannel_logout_supported: false,
    backchannel_logout_supported: false,
  };
}

function signingAlgorithms(keys: KeyRing): string[] {
  const algs = keys.jwks.keys.map((key) => key.alg).filter((alg): alg is string => typeof alg === "string");
  return [...new Set([...(keys.current ? [keys.current.alg] : []), ...algs])];
}
