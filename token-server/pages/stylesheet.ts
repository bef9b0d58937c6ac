// GET /oauth2/assets/tollgate.css: the pages' one stylesheet, read once at start,
// with an ETag of its content so browsers revalidate cheaply.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Ctx } from "../request-context.ts";

const CSS = readFileSync(new URL("./tollgate.css", import.meta.url), "utf8");
const ETAG = `"${createHash("sha256").update(CSS).digest("base64url").slice(0, 22)}"`;

export async function serveStylesheet(ctx: Ctx): Promise<void> {
  ctx.set("Cache-Control", "public, max-age=3600");
  ctx.set("ETag", ETAG);
  ctx.set("X-Content-Type-Options", "nosniff");
  if (ctx.get("if-none-match") === ETAG) {
    ctx.status = 304;
    return;
  }
  ctx.type = "text/css; charset=utf-8";
  ctx.body = CSS;
}
