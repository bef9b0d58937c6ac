// The error codes only the authorization endpoint uses (RFC 6749 §4.1.2.1, OpenID
// Connect Core §3.1.2.6 for the prompt=none ones). The token endpoint's codes, which
// the authorization endpoint shares (invalid_request, unauthorized_client,
// invalid_scope, invalid_target, server_error, temporarily_unavailable), stay in
// errors.ts. Status is what the error page uses when there is nowhere to redirect.
import { OAuthError } from "../errors.ts";

export class UnsupportedResponseType extends OAuthError {
  constructor(description: string, detail?: string) {
    super("unsupported_response_type", 400, description, detail);
  }
}

export class AccessDenied extends OAuthError {
  constructor(description = "the user denied the request", detail?: string) {
    super("access_denied", 403, description, detail);
  }
}

/** prompt=none, and nobody is signed in (or prompt asks for a fresh sign-in). */
export class LoginRequired extends OAuthError {
  constructor(description = "the user must sign in", detail?: string) {
    super("login_required", 400, description, detail);
  }
}

/** prompt=none, and the user has not consented to what the client asks for. */
export class ConsentRequired extends OAuthError {
  constructor(description = "the user must consent", detail?: string) {
    super("consent_required", 400, description, detail);
  }
}

/**
 * Something only the browser's user can fix, with no client to tell: an expired or
 * unknown pending request, a form without its anti-CSRF token, cookies switched off.
 * Always an error page, never a redirect.
 */
export class InteractionError extends OAuthError {
  readonly title: string;
  constructor(title: string, description: string, detail?: string, status = 400) {
    super("invalid_request", status, description, detail);
    this.title = title;
  }
}

/**
 * OpenID Connect Core §3.1.2.6 / §6: a Request Object (`request`, `request_uri`) or
 * dynamic `registration` parameter, none of which this server takes. Refused rather
 * than ignored: the client may have put the real parameters in them.
 */
export class NotSupportedParameter extends OAuthError {
  constructor(error: "request_not_supported" | "request_uri_not_supported" | "registration_not_supported") {
    const name = error.replace(/_not_supported$/, "");
    super(error, 400, `the "${name}" parameter is not supported; send the parameters in the request itself`);
  }
}
