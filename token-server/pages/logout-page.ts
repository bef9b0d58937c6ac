import { OPENID_PATHS } from "../authorize/paths.ts";
import { html, page } from "./html.ts";

export interface LogoutConfirmPage {
  base: string;
  username: string;
  clientName?: string;
  csrf: string;
  /** The request's parameters, carried to the confirming POST. */
  carried: Record<string, string>;
}

/** Asked when the sign-out request cannot prove it came from the user's application (no matching id_token_hint). */
export function logoutConfirmPage(view: LogoutConfirmPage): string {
  return page({
    title: "Sign out?",
    base: view.base,
    body: html`<section class="card" aria-labelledby="title">
    <h1 id="title">Sign out?</h1>
    <p class="lede">You are signed in as <strong>${view.username}</strong>${
      view.clientName ? html`. <span class="client">${view.clientName}</span> asks to sign you out` : ""
    }.</p>
    <form class="actions" method="post" action="${view.base + OPENID_PATHS.endSession}">
      ${Object.entries(view.carried).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
      <input type="hidden" name="csrf" value="${view.csrf}">
      <button class="button primary" type="submit" name="confirm" value="yes">Sign out</button>
    </form>
  </section>`,
  });
}

/** Where a sign-out ends when the application named no place to return to. */
export function signedOutPage(base: string): string {
  return page({
    title: "Signed out",
    base,
    body: html`<section class="card" aria-labelledby="title">
    <h1 id="title">You are signed out</h1>
    <p class="lede">You can close this window.</p>
  </section>`,
  });
}
