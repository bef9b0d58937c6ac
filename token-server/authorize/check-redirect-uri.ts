// The redirect URI, checked before anything else can send the browser anywhere
// (RFC 6749 §3.1.2.3, §4.1.2.1; RFC 9700 §2.1, §4.1). Omitted, it defaults to the
// client's only registered one; with several registered it must be named. Only once
// it is verified does `state` get echoed and an error get redirected.
import { InvalidRequest } from "../errors.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { matchRedirectUri } from "./redirect-uri.ts";

export async function checkRedirectUri(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  const client = ctx.state.client;
  if (!client) throw new Error("checkClient did not run");
  const values = ctx.state.params.get("redirect_uri");
  if (values && values.length > 1) throw new InvalidRequest("the request names redirect_uri more than once");
  const requested = values?.[0];
  if (requested === undefined) {
    if (client.redirectUris.length !== 1)
      throw new InvalidRequest("redirect_uri is required: this application registered more than one");
    ctx.state.redirectUri = client.redirectUris[0] as string;
  } else {
    const matched = matchRedirectUri(client.redirectUris, requested);
    if (matched === undefined)
      throw new InvalidRequest(
        "the redirect_uri is not one this application registered",
        `redirect_uri "${requested.slice(0, 300)}" not registered`,
      );
    // The requested string, not the registered one: with a loopback redirect only the port differs.
    ctx.state.redirectUri = requested;
  }
  const state = ctx.state.params.get("state");
  if (state?.length === 1) ctx.state.clientState = state[0];
  await next();
}

/** Whether the request named redirect_uri (then the token request must repeat it, RFC 6749 §4.1.3). */
export function redirectUriInRequest(ctx: AuthorizeCtx): boolean {
  return ctx.state.params.has("redirect_uri");
}
