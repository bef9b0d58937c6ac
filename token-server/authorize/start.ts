import { randomBytes } from "node:crypto";
import { loadSession } from "../sessions/sessions.ts";
import type { AuthorizeCtx, PendingAuthorization } from "./authorize-context.ts";
import { redirectUriInRequest } from "./check-redirect-uri.ts";
import { proceed } from "./proceed.ts";

/** The last step of GET (and POST) /oauth2/authorize: the verified request becomes a pending one, and proceeds. */
export async function startAuthorization(ctx: AuthorizeCtx): Promise<void> {
  const { client, redirectUri, requested, params } = ctx.state;
  if (!client || !redirectUri || !requested) throw new Error("the authorization request was not checked");
  const pending: PendingAuthorization = {
    id: randomBytes(24).toString("base64url"),
    clientId: client.clientId,
    redirectUri,
    redirectUriInRequest: redirectUriInRequest(ctx),
    scope: requested.scope,
    audience: requested.audience,
    prompt: ctx.state.prompt ?? [],
    signedInHere: false,
    binding: "",
    createdAt: Math.floor(Date.now() / 1000),
  };
  if (ctx.state.clientState !== undefined) pending.state = ctx.state.clientState;
  if (ctx.state.nonce !== undefined) pending.nonce = ctx.state.nonce;
  if (ctx.state.maxAge !== undefined) pending.maxAge = ctx.state.maxAge;
  if (ctx.state.hintSub !== undefined) pending.hintSub = ctx.state.hintSub;
  const challenge = params.get("code_challenge")?.[0];
  if (challenge !== undefined) pending.codeChallenge = challenge;
  const session = await loadSession(ctx);
  if (session) ctx.state.session = session;
  await proceed(ctx, pending);
}
