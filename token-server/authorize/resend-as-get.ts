// OpenID Connect lets a client send the authorization and logout requests as a form POST
// (Core §3.1.2.1, RP-Initiated Logout §2). The login session cookie is SameSite=Lax, so
// a POST from the client's site arrives without it: the user would meet the login page
// though signed in, or stay signed in after "logging out". A POST without the cookie is
// therefore sent on as a GET to the same endpoint with the same parameters (303): a
// top-level GET navigation does carry a Lax cookie. A POST that carries the cookie (the
// server's own sign-out confirmation, a same-site client) is handled as it is.
import type { Ctx } from "../request-context.ts";
import { readSessionCookie } from "../sessions/session-cookie.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { issuerPath } from "./paths.ts";

export function resendAsGet(path: string) {
  return async function resendPostAsGet(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
    if (ctx.method !== "POST" || readSessionCookie(ctx as Ctx) !== undefined) {
      await next();
      return;
    }
    const query = new URLSearchParams();
    for (const [name, values] of ctx.state.params) for (const value of values) query.append(name, value);
    ctx.status = 303;
    ctx.set("Location", `${issuerPath(ctx.state.server.settings.issuer)}${path}?${query}`);
    ctx.set("Cache-Control", "no-store");
    ctx.set("Referrer-Policy", "no-referrer");
    ctx.body = "";
  };
}
