import { decodeForm } from "../middleware/parse-form.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";

/** The authorization request's query (RFC 6749 §4.1.1), every value of each name kept for the duplicate checks. */
export async function parseQuery(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  ctx.state.params = decodeForm(ctx.querystring);
  await next();
}
