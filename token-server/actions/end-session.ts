// GET and POST /oauth2/logout: OpenID Connect RP-Initiated Logout 1.0 (the discovery
// document's end_session_endpoint). The application sends the browser here with the ID
// token it holds (`id_token_hint`), where to return (`post_logout_redirect_uri`, one
// of its registered postLogoutRedirectUris, matched exactly) and a `state` echoed back.
//
// The session (its record in the token state and the cookie) ends at once when the hint
// is an ID token of this server for the user signed in here, which proves the request
// came from that user's application. Otherwise, with someone signed in, the user is
// asked to confirm (§2: logout without proof is a CSRF target), by a form carrying an
// anti-CSRF token. Nothing is redirected before the client and URI are verified: a
// bad hint, an unknown client or an unregistered URI end on an error page.
//
// Signing out ends the browser session only: refresh tokens already issued keep working
// (an application revokes its own at /oauth2/revoke) and remembered consent stays.
import type { ClientRecord } from "../../registry/record.ts";
import type { AuthorizeCtx } from "../authorize/authorize-context.ts";
import { asSteps } from "../authorize/authorize-context.ts";
import { InteractionError } from "../authorize/authorize-errors.ts";
import { rejectRepeatedParameters } from "../authorize/check-request.ts";
import { handleInteractionErrors } from "../authorize/interaction-error-handler.ts";
import { parseQuery } from "../authorize/parse-query.ts";
import { issuerPath, OPENID_PATHS } from "../authorize/paths.ts";
import { resendAsGet } from "../authorize/resend-as-get.ts";
import { parseForm } from "../middleware/parse-form.ts";
import { logoutConfirmPage, signedOutPage } from "../pages/logout-page.ts";
import { setPageHeaders } from "../pages/page-headers.ts";
import type { Step, TokenServer } from "../request-context.ts";
import { csrfToken, csrfTokenValid, loadSession, type Session, signOut } from "../sessions/sessions.ts";
import { directoryName } from "../sessions/users.ts";
import { readIdTokenHint } from "../tokens/id-token.ts";

/** Every sign-out confirmation of a session shares one anti-CSRF token: there is no pending request to bind it to. */
const CSRF_SCOPE = "end-session";

export function endSessionEndpoint(server: TokenServer, method: "GET" | "POST"): Step[] {
  return asSteps([
    handleInteractionErrors(server, "end_session"),
    ...(method === "GET" ? [parseQuery] : [parseForm, resendAsGet(OPENID_PATHS.endSession)]),
    rejectRepeatedParameters,
    endSession,
  ]);
}

async function endSession(ctx: AuthorizeCtx): Promise<void> {
  const { server, params } = ctx.state;
  const one = (name: string) => params.get(name)?.[0];
  const hint = await verifiedHint(ctx, one("id_token_hint"));
  const client = logoutClient(ctx, hint?.clientId, one("client_id"));
  const returnTo = one("post_logout_redirect_uri");
  if (returnTo !== undefined) {
    if (!client)
      throw invalid("post_logout_redirect_uri needs client_id or id_token_hint", "redirect without a client");
    if (!(client.postLogoutRedirectUris ?? []).includes(returnTo))
      throw invalid(
        "the post_logout_redirect_uri is not one this application registered",
        `post_logout_redirect_uri "${returnTo.slice(0, 300)}" not registered for ${client.clientId}`,
      );
  }
  const session = await loadSession(ctx);
  const user = session?.user;
  if (session && user) {
    const proven = hint !== undefined && hint.sub === user.sub && (!client || user.directory === directoryName(client));
    const confirmed =
      ctx.method === "POST" &&
      one("confirm") === "yes" &&
      csrfTokenValid(session, "logout", CSRF_SCOPE, one("csrf") ?? "");
    if (!proven && !confirmed) {
      confirm(ctx, session, client, returnTo);
      return;
    }
    await signOut(ctx, session);
    server.log.info("user signed out", { client_id: client?.clientId, sub: user.sub });
  }
  if (returnTo === undefined) {
    setPageHeaders(ctx);
    ctx.status = 200;
    ctx.type = "text/html; charset=utf-8";
    ctx.body = signedOutPage(issuerPath(server.settings.issuer));
    return;
  }
  const url = new URL(returnTo);
  const state = one("state");
  if (state !== undefined) url.searchParams.append("state", state);
  ctx.status = 303;
  ctx.set("Location", url.href);
  ctx.set("Cache-Control", "no-store");
  ctx.set("Referrer-Policy", "no-referrer");
  ctx.body = "";
}

async function verifiedHint(ctx: AuthorizeCtx, token: string | undefined) {
  if (token === undefined) return undefined;
  const hint = await readIdTokenHint(ctx.state.server, token);
  if (!hint) throw invalid("the id_token_hint is not an ID token of this server", "id_token_hint did not verify");
  return hint;
}

function logoutClient(ctx: AuthorizeCtx, fromHint: string | undefined, named: string | undefined) {
  if (fromHint !== undefined && named !== undefined && fromHint !== named)
    throw invalid("client_id is not the application the id_token_hint was issued to", "client_id and hint differ");
  const clientId = fromHint ?? named;
  if (clientId === undefined) return undefined;
  const client = ctx.state.server.clients.get(clientId);
  if (!client || client.disabled)
    throw invalid("the application that sent you here is not registered or not enabled", `client "${clientId}"`);
  ctx.state.client = client;
  return client;
}

function confirm(ctx: AuthorizeCtx, session: Session, client: ClientRecord | undefined, returnTo: string | undefined) {
  const carried: Record<string, string> = {};
  for (const name of ["client_id", "post_logout_redirect_uri", "state"]) {
    const value = ctx.state.params.get(name)?.[0];
    if (value !== undefined) carried[name] = value;
  }
  if (client && carried.client_id === undefined) carried.client_id = client.clientId;
  setPageHeaders(ctx, returnTo);
  ctx.status = 200;
  ctx.type = "text/html; charset=utf-8";
  ctx.body = logoutConfirmPage({
    base: issuerPath(ctx.state.server.settings.issuer),
    username: session.user?.sub ?? "",
    ...(client ? { clientName: client.displayName } : {}),
    csrf: csrfToken(session, "logout", CSRF_SCOPE),
    carried,
  });
}

function invalid(description: string, detail: string): InteractionError {
  return new InteractionError("This sign-out link is not valid", description, detail);
}
