// The outermost step of the authorization endpoint's routes: the per-request state,
// then the one place errors are answered. Until the client and its redirect URI are
// verified, an error is a page and never a redirect (RFC 6749 §4.1.2.1, §10.15 open
// redirectors); afterwards it goes back to the client, except the errors only the
// person at the browser can act on (InteractionError).
import type { TokenServer } from "../context.ts";
import { OAuthError, ServerError } from "../errors.ts";
import { InteractionError } from "./authorize-errors.ts";
import type { AuthorizeCtx, AuthorizeStep } from "./context.ts";
import { redirectError, renderErrorPage } from "./respond.ts";

export function observeInteraction(server: TokenServer, endpoint: string): AuthorizeStep {
  const { metrics, log } = server;
  const timer = metrics.duration.labels(endpoint);
  return async function observeInteractionRequest(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
    const started = performance.now();
    ctx.state.server = server;
    ctx.state.endpoint = endpoint;
    ctx.state.params = new Map();
    let outcome = "ok";
    try {
      await next();
    } catch (caught) {
      const error = caught instanceof OAuthError ? caught : new ServerError((caught as Error)?.message);
      outcome = error.error;
      const redirected = ctx.state.redirectUri !== undefined && !(error instanceof InteractionError);
      if (redirected) redirectError(ctx, error);
      else renderErrorPage(ctx, error);
      const fields = {
        endpoint,
        error: error.error,
        answer: redirected ? "redirect" : "page",
        client_id: ctx.state.client?.clientId,
        detail: error.detail ?? error.description,
      };
      if (error.status >= 500)
        log.error("authorization request failed", { ...fields, stack: (caught as Error)?.stack });
      else log.info("authorization request refused", fields);
    } finally {
      metrics.requests.inc({ endpoint, grant_type: "", outcome });
      timer.observe((performance.now() - started) / 1000);
    }
  };
}
