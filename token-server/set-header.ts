import type { Ctx } from "./request-context.ts";

/**
 * Sets a response header to a fixed string on Node's response directly. Koa 3's ctx.set
 * also takes objects and arrays, so each call builds two arrays and a closure: on the token
 * endpoint's five headers that was the largest allocation of a request, and the image's
 * small young generation (--max-semi-space-size) turns allocation into collector work.
 * As with ctx.set, nothing happens once the headers are sent.
 */
export function setHeader(ctx: Ctx, name: string, value: string): void {
  if (!ctx.res.headersSent) ctx.res.setHeader(name, value);
}
