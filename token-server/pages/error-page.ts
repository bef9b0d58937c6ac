import { html, page } from "./html.ts";

export interface ErrorPage {
  base: string;
  title: string;
  description: string;
  error: string;
}

/** Shown when there is no trustworthy place to send the browser: it links nowhere. */
export function errorPage(view: ErrorPage): string {
  return page({
    title: view.title,
    base: view.base,
    body: html`<section class="card" aria-labelledby="title">
    <div class="badge-error" aria-hidden="true">!</div>
    <h1 id="title">${view.title}</h1>
    <p class="lede" role="alert">${view.description}.</p>
    <p class="hint">Return to the application you came from and start again. If this keeps happening, tell its
      administrator the error code below.</p>
    <p class="code">Error code <code>${view.error}</code></p>
  </section>`,
  });
}
