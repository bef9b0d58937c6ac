// The errors a registration request can end in, one class carrying what the caller sees:
// the HTTP status, the RFC 7591 / RFC 6750 error code and a description. Bearer-token
// failures (401, 403) also name their code in WWW-Authenticate, as RFC 6750 section 3 asks.

export class RegistrationError extends Error {
  readonly status: number;
  readonly error: string;
  readonly description: string;
  /** Send `WWW-Authenticate: Bearer error="…"` (RFC 6750). */
  readonly bearerChallenge: boolean;

  constructor(status: number, error: string, description: string, bearerChallenge = false) {
    super(description);
    this.status = status;
    this.error = error;
    this.description = description;
    this.bearerChallenge = bearerChallenge;
  }
}

/** RFC 7591 section 3.2.2: a metadata value the server refuses (the API server's message, when it refused). */
export const invalidClientMetadata = (description: string) =>
  new RegistrationError(400, "invalid_client_metadata", description);

export const invalidRequest = (description: string) => new RegistrationError(400, "invalid_request", description);

/** RFC 6750 section 3.1: the token is missing, unknown, expired or used up. */
export const invalidToken = (description: string) => new RegistrationError(401, "invalid_token", description, true);

/** RFC 6750 section 3.1: the token is valid but its holder may not do this (Kubernetes RBAC said no). */
export const insufficientScope = (description: string) =>
  new RegistrationError(403, "insufficient_scope", description, true);

/** The client was not Ready within the bounded wait; nothing is left behind. */
export const temporarilyUnavailable = (description: string) =>
  new RegistrationError(503, "temporarily_unavailable", description);
