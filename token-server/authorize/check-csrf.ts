import { csrfTokenValid } from "../sessions/sessions.ts";
import type { AuthorizeCtx, AuthorizeStep } from "./authorize-context.ts";
import { pendingOf } from "./authorize-context.ts";
import { InteractionError } from "./authorize-errors.ts";

/**
 * The form's anti-CSRF token (RFC 6749 §10.12) must be the one this session's page
 * for this request carried. A forged or stale form gets an error page: it is not the
 * client's request that failed, and a redirect would tell an attacker's page nothing it needs.
 */
export function checkCsrf(form: "login" | "consent"): AuthorizeStep {
  return async function checkCsrfToken(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
    const token = ctx.state.params.get("csrf")?.[0];
    const session = ctx.state.session;
    if (!token || !session || !csrfTokenValid(session, form, pendingOf(ctx).id, token))
      throw new InteractionError(
        "This form has expired",
        "the form could not be verified (anti-CSRF token missing or wrong)",
        `${form} form: ${token ? "wrong" : "no"} anti-CSRF token`,
        403,
      );
    await next();
  };
}
