import type { Ctx } from "../request-context.ts";

/** RFC 6749 §5.1: token responses, success or error, must not be cached. */
export async function noCache(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  ctx.set("Cache-Control", "no-store");
  ctx.set("Pragma", "no-cache");
  await next();
}
