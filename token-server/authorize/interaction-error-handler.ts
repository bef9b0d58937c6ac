// The outermost step of the authorization endpoint's routes: the per-request state,
// then the one place errors are answered. Until the client and its redirect URI are
// verified, an error is a page and never a redirect (RFC 6749 §4.1.2.1, §10.15 open
// redirectors); afterwards it goes back to the client, except the errors only the
// person at the browser can act on (InteractionError).

import { handleRequestErrors } from "../middleware/error-handler.ts";
import type { TokenServer } from "../request-context.ts";
import type { AuthorizeCtx, AuthorizeStep } from "./authorize-context.ts";
import { InteractionError } from "./authorize-errors.ts";
import { redirectError, renderErrorPage } from "./browser-response.ts";

export function handleInteractionErrors(server: TokenServer, endpoint: string): AuthorizeStep {
  return handleRequestErrors<AuthorizeCtx>(server, endpoint, {
    refused: "authorization request refused",
    failed: "authorization request failed",
    initialParams: () => new Map(),
    answer(ctx, error) {
      const redirected = ctx.state.redirectUri !== undefined && !(error instanceof InteractionError);
      if (redirected) redirectError(ctx, error);
      else renderErrorPage(ctx, error);
      return { answer: redirected ? "redirect" : "page" };
    },
    clientId: (ctx) => ctx.state.client?.clientId,
    count: (_ctx, outcome) => server.metrics.requests.inc({ endpoint, grant_type: "", outcome }),
  });
}
