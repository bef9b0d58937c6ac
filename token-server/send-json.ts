import type { Ctx } from "./request-context.ts";
import { setHeader } from "./set-header.ts";

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Sends a JSON body. Setting the header first spares Koa a MIME lookup per response (a
 * hot path). `nosniff`: an error body echoes request text (an error_description naming a
 * parameter), and no browser may read it as anything but JSON.
 */
export function sendJson(ctx: Ctx, body: unknown, status = 200): void {
  ctx.status = status;
  setHeader(ctx, "Content-Type", JSON_TYPE);
  setHeader(ctx, "X-Content-Type-Options", "nosniff");
  ctx.body = JSON.stringify(body);
}
