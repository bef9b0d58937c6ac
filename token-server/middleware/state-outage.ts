// What the token server does while Redis (the token state) is down. This module
// decides it (error-handler.ts calls it for every error); docs/token-server.md repeats it
// for operators.
//
// Keeps working, from process memory:
//   - client_credentials with JWT access tokens: the client lookup is the in-memory
//     registry (client-cache.ts), secrets are checked against its hashes, the token is
//     signed locally, and its jti is random and never stored, so nothing is lost.
//   - workload_identity client authentication (a ServiceAccount token checked against the
//     cluster's keys), unless the client takes each token once (tokenReuse: once).
//   - discovery, JWKS, health; failed-authentication counting (falls back to a
//     per-process counter).
//   - the password grant without a refresh token (users/, grants/password.ts).
//
// Fails closed with 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1 names the code,
// RFC 7009 §2.2.1 the status), never with a guessed answer:
//   - issuing opaque access tokens (they exist only in the state),
//   - revocation (a revocation that is not stored would be a lie),
//   - introspection of a token that is otherwise valid (without the revoked-jti set we
//     cannot say "active": a revoked token would come back to life; "inactive" would
//     break every resource server). Tokens that are inactive for local reasons (bad
//     signature, expired, client disabled or deleted) still introspect as inactive.
//   - private_key_jwt client authentication (its jti replay guard is in the state), and
//     workload_identity with tokenReuse: once (likewise).
//   - the authorization code flow: login sessions, pending requests, consent and codes
//     live in the state. Once the redirect URI is verified the browser is sent back to
//     the client with `temporarily_unavailable`; before that it gets a 503 page.
//   - OpenID Connect userinfo (a JWT's revoked-jti check, an opaque token's record) and
//     logout (the session lives in the state): 503, no invalid_token challenge.
//   - the JWT and SAML 2.0 bearer grants (the assertion-ID replay guard is in the
//     state), and refresh tokens: issuing, using and revoking them (they exist only
//     in the state). The password grant keeps working where it issues no refresh
//     token; its failure throttle falls back to the per-process counter.
//
// Recovery needs nobody: node-redis reconnects with backoff, `available` turns true
// again, and the next request uses Redis. A Redis that comes back empty has lost its
// revoked-jti set and opaque tokens; run Redis with persistence where that matters.
import { OAuthError, ServerError, TemporarilyUnavailable } from "../errors.ts";
import { StateUnavailable } from "../state/store.ts";

/**
 * What an endpoint answers for anything thrown at it: an OAuthError as it is; a token
 * state that cannot answer (StateUnavailable, from any model of state/) as 503
 * `temporarily_unavailable`, the one place that happens; anything else a server error.
 */
export function toOAuthError(caught: unknown): OAuthError {
  if (caught instanceof OAuthError) return caught;
  if (caught instanceof StateUnavailable)
    return new TemporarilyUnavailable(undefined, `token state unavailable: ${caught.message}`);
  return new ServerError((caught as Error)?.message);
}
