// Server-rendered HTML: one escape function that every interpolated value goes
// through, and the page frame shared by the login, consent and error pages. No script
// anywhere; the stylesheet is served from this server (pages/stylesheet.ts).
import { AUTHORIZE_PATHS } from "../authorize/paths.ts";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe inside an element or a double-quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A fragment of HTML that was built from escaped parts. */
export interface Html {
  readonly html: string;
}

/** Tagged template: every `${value}` is escaped unless it is an Html fragment (or an array of them). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] as string;
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] as string);
  });
  return { html: out };
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  if (typeof value === "object" && "html" in value) return (value as Html).html;
  return escapeHtml(String(value));
}

/** The client's initial, for the badge at the top of its pages. */
export function monogram(name: string): string {
  return ([...name.trim()][0] ?? "?").toUpperCase();
}

export interface PageFrame {
  title: string;
  /** The issuer's path prefix, for the stylesheet link. */
  base: string;
  body: Html;
}

const MARK = html`<svg class="mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect x="3" y="13" width="26" height="6" rx="3"></rect>
      <rect x="6" y="6" width="4" height="22" rx="2"></rect>
      <rect x="22" y="6" width="4" height="22" rx="2"></rect>
    </svg>`;

export function page({ title, base, body }: PageFrame): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Tollgate</title>
<link rel="stylesheet" href="${escapeHtml(base + AUTHORIZE_PATHS.stylesheet)}">
</head>
<body>
<main class="shell">
  <div class="brand">${MARK.html}<span>Tollgate</span></div>
  ${body.html}
</main>
</body>
</html>
`;
}
