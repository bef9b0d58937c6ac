// The first step after the browser comes back to a pending request (the continue GET,
// the login and consent POSTs): the request exists, belongs to this browser's session,
// and its client is still registered and enabled. Only then do errors redirect again.
import { bindingValid, loadSession } from "../sessions/sessions.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { InteractionError } from "./authorize-errors.ts";
import { loadPending } from "./pending-store.ts";
import { matchRedirectUri } from "./redirect-uri.ts";

export async function loadPendingRequest(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  const { server, params } = ctx.state;
  const id = params.get("request")?.[0] ?? "";
  const pending = await loadPending(server, id);
  if (!pending)
    throw new InteractionError(
      "This sign-in has expired",
      "the sign-in request is unknown or took too long",
      `pending request "${id.slice(0, 80)}" not found`,
    );
  const session = await loadSession(ctx);
  if (!session)
    throw new InteractionError(
      "Your browser did not keep the sign-in cookie",
      "the sign-in session is missing: allow cookies for this site and start again",
      "no session cookie",
    );
  if (!bindingValid(session, pending.id, pending.binding))
    throw new InteractionError(
      "This sign-in belongs to another browser session",
      "the sign-in request was started in another session",
      "pending request not bound to this session",
      403,
    );
  const client = server.clients.get(pending.clientId);
  if (!client || client.disabled || !matchRedirectUri(client.redirectUris, pending.redirectUri))
    throw new InteractionError(
      "This application is not recognised",
      "the application is no longer registered or enabled",
      `client "${pending.clientId}" gone or disabled`,
    );
  ctx.state.session = session;
  ctx.state.pending = pending;
  ctx.state.client = client;
  ctx.state.redirectUri = pending.redirectUri;
  if (pending.state !== undefined) ctx.state.clientState = pending.state;
  await next();
}
