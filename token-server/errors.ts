// One error class per OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1,
// RFC 8707 §2). `description` is what the client sees as `error_description`; `detail`
// is for the logs only and may name things the client must not learn.
//
// RFC 6749 §5.2 (and §4.1.2.1 for redirects) limits error_description to %x20-21 /
// %x23-5B / %x5D-7E: no `"`, no `\`, nothing outside printable ASCII. Every answer
// (token endpoint JSON, introspection and revocation, authorization redirects and
// pages) reads `description`, so the constructor makes it conform, here and only here.

/** `"` becomes `'`, `\` becomes `/`, `§` the word "section"; anything else outside the set is dropped. */
export function wireDescription(text: string): string {
  return text
    .replaceAll('"', "'")
    .replaceAll("\\", "/")
    .replaceAll("§", "section ")
    .replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, "");
}

export class OAuthError extends Error {
  readonly error: string;
  readonly status: number;
  readonly description: string;
  readonly detail: string | undefined;
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string> = {};

  constructor(error: string, status: number, description: string, detail?: string) {
    super(detail ? `${error}: ${description} (${detail})` : `${error}: ${description}`);
    this.name = new.target.name;
    this.error = error;
    this.status = status;
    this.description = wireDescription(description);
    this.detail = detail;
  }

  /** The RFC 6749 §5.2 body, exactly: `error` and `error_description`, nothing else. */
  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

/** Missing, repeated or malformed parameter; wrong content type; malformed body. */
export class InvalidRequest extends OAuthError {
  constructor(description: string, detail?: string, status = 400) {
    super("invalid_request", status, description, detail);
  }
}

/**
 * Client authentication failed. Always 401; the endpoint adds `WWW-Authenticate: Basic`
 * when the client tried Basic (RFC 6749 §5.2).
 */
export class InvalidClient extends OAuthError {
  constructor(description = "client authentication failed", detail?: string) {
    super("invalid_client", 401, description, detail);
  }
}

export class InvalidGrant extends OAuthError {
  constructor(description: string, detail?: string) {
    super("invalid_grant", 400, description, detail);
  }
}

/** The authenticated client may not use this grant type. */
export class UnauthorizedClient extends OAuthError {
  constructor(description: string, detail?: string) {
    super("unauthorized_client", 400, description, detail);
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor(description: string, detail?: string) {
    super("unsupported_grant_type", 400, description, detail);
  }
}

export class InvalidScope extends OAuthError {
  constructor(description: string, detail?: string) {
    super("invalid_scope", 400, description, detail);
  }
}

/** RFC 8707 §2: a requested resource or audience the client may not have. */
export class InvalidTarget extends OAuthError {
  constructor(description: string, detail?: string) {
    super("invalid_target", 400, description, detail);
  }
}

/** Something this request needs (token state in Redis) is down; see middleware/state-outage.ts. */
export class TemporarilyUnavailable extends OAuthError {
  constructor(description = "the service is temporarily unavailable, retry later", detail?: string) {
    super("temporarily_unavailable", 503, description, detail);
    this.headers["retry-after"] = "1";
  }
}

export class ServerError extends OAuthError {
  constructor(detail?: string) {
    super("server_error", 500, "the server encountered an unexpected condition", detail);
  }
}
