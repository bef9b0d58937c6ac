// The two ways the authorization endpoint answers a browser that is done here: a 303
// to the client's verified redirect URI (RFC 6749 §4.1.2, §4.1.2.1) carrying `state`
// and, for mix-up defence, `iss` (RFC 9207), or an HTML page. 303, not 307: after a
// form POST the password must not be re-sent to the client (RFC 9700 §4.12).
import type { OAuthError } from "../errors.ts";
import { errorPage } from "../pages/error-page.ts";
import { setPageHeaders } from "../pages/page-headers.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { InteractionError } from "./authorize-errors.ts";
import { issuerPath } from "./paths.ts";

export function redirectToClient(ctx: AuthorizeCtx, params: Record<string, string>): void {
  const target = ctx.state.redirectUri;
  if (!target) throw new Error("redirect before the redirect URI was verified");
  // Query parameters the client registered in its redirect URI stay (RFC 6749 §3.1.2).
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
  if (ctx.state.clientState !== undefined) url.searchParams.append("state", ctx.state.clientState);
  url.searchParams.append("iss", ctx.state.server.settings.issuer);
  ctx.status = 303;
  ctx.set("Location", url.href);
  ctx.set("Cache-Control", "no-store");
  ctx.set("Referrer-Policy", "no-referrer");
  ctx.body = "";
}

export function redirectError(ctx: AuthorizeCtx, error: OAuthError): void {
  // The description already conforms to RFC 6749 §4.1.2.1 (errors.ts wireDescription).
  redirectToClient(ctx, { error: error.error, error_description: error.description });
}

const TITLES: Record<string, string> = {
  invalid_client: "This application is not recognised",
  server_error: "Something went wrong",
  temporarily_unavailable: "Sign-in is temporarily unavailable",
};

export function renderErrorPage(ctx: AuthorizeCtx, error: OAuthError): void {
  setPageHeaders(ctx);
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.status = error.status >= 500 ? error.status : error instanceof InteractionError ? error.status : 400;
  ctx.type = "text/html; charset=utf-8";
  ctx.body = errorPage({
    base: issuerPath(ctx.state.server.settings.issuer),
    title: error instanceof InteractionError ? error.title : (TITLES[error.error] ?? "This sign-in link is not valid"),
    description: capitalise(error.description),
    error: error.error,
  });
}

/** Sentence case, except a description that starts with a parameter name (redirect_uri, client_id). */
function capitalise(text: string): string {
  return /^[a-z]+_/.test(text) ? text : text.charAt(0).toUpperCase() + text.slice(1);
}
