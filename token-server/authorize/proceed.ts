// What a verified authorization request needs next, decided afresh each time the
// browser comes back (first request, after sign-in): a sign-in, a consent, or the
// code. prompt=none turns the first two into login_required / consent_required.
import type { ClientRecord } from "../../registry/record.ts";
import { consentPage } from "../pages/consent-page.ts";
import { loginPage } from "../pages/login-page.ts";
import { setPageHeaders } from "../pages/page-headers.ts";
import { csrfToken, ensureSession, type Session, type SessionUser, sessionBinding } from "../sessions/sessions.ts";
import { directoryName, userExists } from "../sessions/users.ts";
import type { AuthorizeCtx, PendingAuthorization } from "./authorize-context.ts";
import { ConsentRequired, LoginRequired } from "./authorize-errors.ts";
import { issueCodeAndRedirect } from "./codes.ts";
import { consentCovers } from "./consent-store.ts";
import { issuerPath } from "./paths.ts";
import { deletePending, savePending } from "./pending-store.ts";

export async function proceed(ctx: AuthorizeCtx, pending: PendingAuthorization): Promise<void> {
  const { server, client } = ctx.state;
  if (!client) throw new Error("no client for the pending request");
  const user = signedInUser(ctx, client, pending);
  const silent = pending.prompt.includes("none");
  if (!user) {
    if (silent) throw new LoginRequired();
    await showLogin(ctx, pending);
    return;
  }
  const consented =
    !pending.prompt.includes("consent") &&
    (await consentCovers(server, client, user.sub, { scope: pending.scope, audience: pending.audience }));
  if (!consented) {
    if (silent) throw new ConsentRequired();
    await showConsent(ctx, pending, user);
    return;
  }
  // Only a request that waited for the user was saved (and bound to the session).
  if (pending.binding !== "") await deletePending(server, pending.id);
  await issueCodeAndRedirect(ctx, pending, user);
}

/** The session's user, if it counts for this client and this request. */
export function signedInUser(
  ctx: AuthorizeCtx,
  client: ClientRecord,
  pending: PendingAuthorization,
): SessionUser | undefined {
  const user = ctx.state.session?.user;
  if (!user || user.directory !== directoryName(client)) return undefined;
  if (pending.prompt.includes("login") && !pending.signedInHere) return undefined;
  // OpenID Connect id_token_hint: the client expects that user; someone else must sign in (or is login_required).
  if (pending.hintSub !== undefined && !pending.signedInHere && user.sub !== pending.hintSub) return undefined;
  // OpenID Connect max_age: an older sign-in counts as none (prompt=none then says login_required).
  if (
    pending.maxAge !== undefined &&
    !pending.signedInHere &&
    Math.floor(Date.now() / 1000) - user.authTime > pending.maxAge
  )
    return undefined;
  // A user removed from the directory is signed out of new authorizations at once.
  if (!userExists(ctx.state.server, client, user.sub)) return undefined;
  return user;
}

/** Saves the request tied to the browser's session (creating one for the anti-CSRF key if needed). */
async function bindAndSave(ctx: AuthorizeCtx, pending: PendingAuthorization): Promise<Session> {
  const session = ctx.state.session ?? (await ensureSession(ctx));
  ctx.state.session = session;
  pending.binding = sessionBinding(session, pending.id);
  await savePending(ctx.state.server, pending);
  return session;
}

export async function showLogin(
  ctx: AuthorizeCtx,
  pending: PendingAuthorization,
  problem?: { status: number; message: string; username?: string },
): Promise<void> {
  const session = await bindAndSave(ctx, pending);
  setPageHeaders(ctx, pending.redirectUri);
  ctx.status = problem?.status ?? 200;
  ctx.type = "text/html; charset=utf-8";
  ctx.body = loginPage({
    base: issuerPath(ctx.state.server.settings.issuer),
    clientName: ctx.state.client?.displayName ?? pending.clientId,
    destination: destination(pending.redirectUri),
    requestId: pending.id,
    csrf: csrfToken(session, "login", pending.id),
    ...(problem ? { error: problem.message } : {}),
    ...(problem?.username === undefined ? {} : { username: problem.username }),
  });
}

async function showConsent(ctx: AuthorizeCtx, pending: PendingAuthorization, user: SessionUser): Promise<void> {
  const session = await bindAndSave(ctx, pending);
  const { issuer } = ctx.state.server.settings;
  setPageHeaders(ctx, pending.redirectUri);
  ctx.status = 200;
  ctx.type = "text/html; charset=utf-8";
  ctx.body = consentPage({
    base: issuerPath(issuer),
    clientName: ctx.state.client?.displayName ?? pending.clientId,
    destination: destination(pending.redirectUri),
    requestId: pending.id,
    csrf: csrfToken(session, "consent", pending.id),
    username: user.sub,
    scope: pending.scope,
    audience: pending.audience.filter((aud) => aud !== issuer),
  });
}

/** What the pages name as the place the user returns to: the host, or a native app's scheme. */
function destination(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.host !== "" ? url.host : url.protocol.replace(/:$/, "");
}
