// Login sessions of the authorization endpoint, kept in the token state under the
// SHA-256 of their cookie's random ID (a copy of Redis holds no usable cookie).
//
// A browser gets an anonymous session the first time it needs a form (its anti-CSRF
// key lives there), for ANONYMOUS_LIFETIME_SECONDS. Signing in replaces it with a new
// ID (no session fixation) that lasts SESSION_LIFETIME_SECONDS from sign-in, however
// active it is; then the user signs in again.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Ctx } from "../request-context.ts";
import { readSessionCookie, writeSessionCookie } from "./session-cookie.ts";

/** A signed-in session lasts 8 hours from sign-in. */
export const SESSION_LIFETIME_SECONDS = 8 * 3600;
/** A session nobody signed into yet lasts 30 minutes. */
export const ANONYMOUS_LIFETIME_SECONDS = 30 * 60;

export interface SessionUser {
  /** The username, which is the token's `sub`. */
  sub: string;
  /** Which user directory vouched for it (users.ts directoryName): a client with another directory needs a new sign-in. */
  directory: string;
  authTime: number;
}

export interface Session {
  /** Hash of the cookie value: the session's key in the token state. */
  key: string;
  /** Per-session secret the anti-CSRF tokens and request bindings are derived from. */
  csrfKey: string;
  user?: SessionUser;
  expiresAt: number;
}

const hashId = (id: string) => createHash("sha256").update(id).digest("base64url");
const now = () => Math.floor(Date.now() / 1000);

export async function loadSession(ctx: Ctx): Promise<Session | undefined> {
  const id = readSessionCookie(ctx);
  if (!id) return undefined;
  const session = await ctx.state.server.state.interactions.get<Session>("session", hashId(id));
  return session && session.expiresAt > now() ? session : undefined;
}

/** The browser's session, or a new anonymous one (with its cookie set). */
export async function ensureSession(ctx: Ctx): Promise<Session> {
  return (await loadSession(ctx)) ?? (await saveNew(ctx, { csrfKey: randomKey() }, ANONYMOUS_LIFETIME_SECONDS));
}

/** Signs the user in: the old session ID is dropped and a new one issued, keeping the anti-CSRF key. */
export async function signIn(ctx: Ctx, previous: Session | undefined, user: SessionUser): Promise<Session> {
  if (previous) await ctx.state.server.state.interactions.delete("session", previous.key);
  return saveNew(ctx, { csrfKey: previous?.csrfKey ?? randomKey(), user }, SESSION_LIFETIME_SECONDS);
}

async function saveNew(ctx: Ctx, fields: Omit<Session, "key" | "expiresAt">, lifetime: number): Promise<Session> {
  const id = randomKey();
  const session: Session = { ...fields, key: hashId(id), expiresAt: now() + lifetime };
  await ctx.state.server.state.interactions.put("session", session.key, session, lifetime);
  writeSessionCookie(ctx, id, lifetime);
  return session;
}

function randomKey(): string {
  return randomBytes(32).toString("base64url");
}

/** The forms that carry an anti-CSRF token: the login and consent pages, and the sign-out confirmation. */
export type CsrfForm = "login" | "consent" | "logout";

/** Ends the session (RP-initiated logout): its record is deleted and the browser told to drop the cookie. */
export async function signOut(ctx: Ctx, session: Session): Promise<void> {
  await ctx.state.server.state.interactions.delete("session", session.key);
  writeSessionCookie(ctx, "", 0);
}

/**
 * An anti-CSRF token for one form of one pending request, derived from the session's
 * secret: a page of another session, or of another request, gives a token that fails.
 */
export function csrfToken(session: Session, form: CsrfForm, requestId: string): string {
  return createHmac("sha256", session.csrfKey).update(`csrf\0${form}\0${requestId}`).digest("base64url");
}

export function csrfTokenValid(session: Session, form: CsrfForm, requestId: string, token: string): boolean {
  const want = Buffer.from(csrfToken(session, form, requestId));
  const got = Buffer.from(token);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** What ties a pending request to the session that started it (compared in constant time, as above). */
export function sessionBinding(session: Session, requestId: string): string {
  return createHmac("sha256", session.csrfKey).update(`binding\0${requestId}`).digest("base64url");
}

export function bindingValid(session: Session, requestId: string, binding: string): boolean {
  const want = Buffer.from(sessionBinding(session, requestId));
  const got = Buffer.from(binding);
  return want.length === got.length && timingSafeEqual(want, got);
}
