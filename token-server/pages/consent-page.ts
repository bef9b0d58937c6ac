import { AUTHORIZE_PATHS } from "../authorize/paths.ts";
import { html, monogram, page } from "./html.ts";

export interface ConsentPage {
  base: string;
  clientName: string;
  destination: string;
  requestId: string;
  csrf: string;
  username: string;
  scope: string[];
  /** The APIs the token is for, when that is more than this server itself. */
  audience: string[];
}

/**
 * The OpenID Connect scopes in words a person reads on the consent page (what the
 * userinfo endpoint will release, users/user-claims.ts). `openid` itself asks for
 * nothing beyond the username, which the page always names.
 */
const OPENID_SCOPE_WORDS: ReadonlyMap<string, string> = new Map([
  ["profile", "Know your name and profile"],
  ["email", "Know your email address"],
  ["phone", "Know your phone number"],
  ["groups", "Know which groups you belong to"],
]);

export function consentPage(view: ConsentPage): string {
  return page({
    title: `Allow ${view.clientName}?`,
    base: view.base,
    body: html`<section class="card" aria-labelledby="title">
    <div class="monogram" aria-hidden="true">${monogram(view.clientName)}</div>
    <h1 id="title"><span class="client">${view.clientName}</span> wants to access your account</h1>
    <p class="signed-in">Signed in as <strong>${view.username}</strong> ·
      <button class="link" type="submit" form="consent" name="decision" value="switch">Use another account</button></p>
    <h2 class="section-label" id="asks">It will be able to</h2>
    <ul class="permissions" aria-labelledby="asks">
      <li><span class="permission">Know your username</span></li>
      ${view.scope
        .filter((scope) => scope !== "openid")
        .map((scope) => {
          const plain = OPENID_SCOPE_WORDS.get(scope);
          return plain
            ? html`<li><span class="permission">${plain}</span></li>`
            : html`<li><span class="permission">Use the <code>${scope}</code> scope</span></li>`;
        })}
    </ul>
    ${
      view.audience.length > 0
        ? html`<h2 class="section-label" id="apis">At these services</h2>
    <ul class="audiences" aria-labelledby="apis">${view.audience.map((aud) => html`<li><code>${aud}</code></li>`)}</ul>`
        : ""
    }
    <form class="actions" id="consent" method="post" action="${view.base + AUTHORIZE_PATHS.consent}">
      <input type="hidden" name="request" value="${view.requestId}">
      <input type="hidden" name="csrf" value="${view.csrf}">
      <button class="button secondary" type="submit" name="decision" value="deny">Deny</button>
      <button class="button primary" type="submit" name="decision" value="allow">Allow</button>
    </form>
    <p class="destination">You will return to <span class="host">${view.destination}</span>.</p>
  </section>
  <p class="footnote">Your choice is remembered for ${view.clientName}. An administrator can revoke its access at any time.</p>`,
  });
}
