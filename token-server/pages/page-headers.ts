// Headers of every page the authorization endpoint renders: never cached (they carry
// anti-CSRF tokens and say who is signed in), never framed (clickjacking, RFC 6749
// §10.13, RFC 9700 §4.15), never leaking the URL (which holds the request) through a
// Referer (RFC 9700 §4.2.4), and a Content-Security-Policy that allows no script at
// all and styles from this server only.
//
// form-action must also allow where a form's redirects end: browsers check every hop
// of the redirect chain after a form submission, and the last hop is the client's
// redirect URI. That origin (or scheme, for a native app's private-use URI) is the
// one verified for this request, never anything the request merely names.
import type { Ctx } from "../request-context.ts";

export function setPageHeaders(ctx: Ctx, redirectUri?: string): void {
  const formAction = ["'self'", ...(redirectUri ? [formTarget(redirectUri)] : [])].join(" ");
  ctx.set(
    "Content-Security-Policy",
    [
      "default-src 'none'",
      "style-src 'self'",
      "img-src 'self'",
      `form-action ${formAction}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join("; "),
  );
  ctx.set("X-Frame-Options", "DENY");
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Referrer-Policy", "no-referrer");
  ctx.set("Cross-Origin-Opener-Policy", "same-origin");
  ctx.set("Cache-Control", "no-store");
  ctx.set("Pragma", "no-cache");
}

function formTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === "http:" || url.protocol === "https:" ? url.origin : url.protocol;
}
