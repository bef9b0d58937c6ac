import { AUTHORIZE_PATHS } from "../authorize/paths.ts";
import { html, monogram, page } from "./html.ts";

export interface LoginPage {
  base: string;
  clientName: string;
  /** Where the user goes afterwards, shown so a look-alike client is easier to spot. */
  destination: string;
  requestId: string;
  csrf: string;
  username?: string;
  error?: string;
}

export function loginPage(view: LoginPage): string {
  const invalid = view.error !== undefined;
  return page({
    title: `Sign in to ${view.clientName}`,
    base: view.base,
    body: html`<section class="card" aria-labelledby="title">
    <div class="monogram" aria-hidden="true">${monogram(view.clientName)}</div>
    <h1 id="title">Sign in</h1>
    <p class="lede">to continue to <strong class="client">${view.clientName}</strong></p>
    <div class="alert" role="alert" aria-live="assertive" id="form-error"${invalid ? "" : html` hidden`}>${view.error}</div>
    <form class="form" method="post" action="${view.base + AUTHORIZE_PATHS.login}">
      <input type="hidden" name="request" value="${view.requestId}">
      <input type="hidden" name="csrf" value="${view.csrf}">
      <div class="field">
        <label for="username">Username</label>
        <input id="username" name="username" type="text" value="${view.username ?? ""}" autocomplete="username"
          autocapitalize="none" spellcheck="false" required autofocus${invalid ? html` aria-invalid="true" aria-describedby="form-error"` : ""}>
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required${invalid ? html` aria-invalid="true" aria-describedby="form-error"` : ""}>
      </div>
      <button class="button primary" type="submit">Sign in</button>
    </form>
    <p class="destination">You will return to <span class="host">${view.destination}</span> afterwards.</p>
  </section>
  <p class="footnote">Check the address bar before you enter your password.</p>`,
  });
}
