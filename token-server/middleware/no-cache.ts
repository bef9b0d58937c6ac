import type { Ctx } from "../request-context.ts";
import { setHeader } from "../set-header.ts";

/** RFC 6749 §5.1: token responses, success or error, must not be cached. */
export function noCache(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  setHeader(ctx, "Cache-Control", "no-store");
  setHeader(ctx, "Pragma", "no-cache");
  return next();
}
