// The login session cookie: a random ID, HttpOnly, SameSite=Lax (the redirect back
// from the client's own pages is a top-level GET and still carries it; cross-site
// POSTs do not), Path=/, and Secure with the __Host- prefix unless the issuer is
// plain http on a loopback address (a developer's machine, where browsers accept no
// Secure cookie over http). Written by hand rather than with ctx.cookies, which
// refuses Secure cookies on the plain-http hop behind a TLS-terminating proxy.
import type { Ctx } from "../request-context.ts";

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

export function cookieIsSecure(issuer: string): boolean {
  const url = new URL(issuer);
  return !(url.protocol === "http:" && LOOPBACK.has(url.hostname));
}

export function cookieName(issuer: string): string {
  return cookieIsSecure(issuer) ? "__Host-tollgate-session" : "tollgate-session";
}

export function readSessionCookie(ctx: Ctx): string | undefined {
  const value = ctx.cookies.get(cookieName(ctx.state.server.settings.issuer));
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

export function writeSessionCookie(ctx: Ctx, id: string, maxAgeSeconds: number): void {
  const issuer = ctx.state.server.settings.issuer;
  const attributes = [`${cookieName(issuer)}=${id}`, "Path=/", `Max-Age=${maxAgeSeconds}`, "HttpOnly", "SameSite=Lax"];
  if (cookieIsSecure(issuer)) attributes.push("Secure");
  ctx.append("Set-Cookie", attributes.join("; "));
}
