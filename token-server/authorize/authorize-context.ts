// What the authorization endpoint's steps add to the per-request state. Everything
// before `redirectUri` is set fails on an error page; once it is set (the client and
// its redirect URI are verified), errors go back to the client (observe-interaction.ts).
import type { Ctx, RequestState, Step } from "../request-context.ts";
import type { Session } from "../sessions/sessions.ts";

export type Prompt = "none" | "login" | "consent";

/** A verified authorization request waiting for the user (login, consent), kept in the token state. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  redirectUriInRequest: boolean;
  state?: string;
  scope: string[];
  audience: string[];
  codeChallenge?: string;
  prompt: Prompt[];
  /** OpenID Connect: echoed in the ID token. */
  nonce?: string;
  /** OpenID Connect max_age: a sign-in older than this many seconds must be repeated. */
  maxAge?: number;
  /** OpenID Connect id_token_hint's subject: a session of anyone else does not count. */
  hintSub?: string;
  /** Set once the user signed in during this request (what prompt=login asks for). */
  signedInHere: boolean;
  /** Ties the request to the browser session that started it (sessions.ts sessionBinding). */
  binding: string;
  createdAt: number;
}

export interface AuthorizeState extends RequestState {
  /** The verified redirect URI: from here on, errors are redirected to it. */
  redirectUri?: string;
  /** The client's `state`, echoed in every redirect. */
  clientState?: string;
  /** Granted scope and audience, once checked. */
  requested?: { scope: string[]; audience: string[] };
  prompt?: Prompt[];
  nonce?: string;
  maxAge?: number;
  hintSub?: string;
  pending?: PendingAuthorization;
  session?: Session;
}

export type AuthorizeCtx = Ctx & { state: AuthorizeState };
export type AuthorizeStep = (ctx: AuthorizeCtx, next: () => Promise<void>) => Promise<void>;

/** The endpoint as the router takes it: every step reads the same ctx, typed with the fields above. */
export function asSteps(steps: AuthorizeStep[]): Step[] {
  return steps as Step[];
}

export function pendingOf(ctx: AuthorizeCtx): PendingAuthorization {
  const pending = ctx.state.pending;
  if (!pending) throw new Error("no pending authorization loaded before this step");
  return pending;
}
