import type { Ctx } from "./request-context.ts";

const JSON_TYPE = "application/json; charset=utf-8";

/** Sends a JSON body. Setting the header first spares Koa a MIME lookup per response (a hot path). */
export function sendJson(ctx: Ctx, body: unknown, status = 200): void {
  ctx.status = status;
  ctx.set("Content-Type", JSON_TYPE);
  ctx.body = JSON.stringify(body);
}
