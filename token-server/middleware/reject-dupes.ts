import { InvalidRequest } from "../errors.ts";
import type { Ctx } from "../request-context.ts";

/** RFC 6749 §3.1/§3.2: no parameter twice, except what the selected grant declares multi-valued (RFC 8707 `resource`). */
export function rejectDupes(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  const multiValued = ctx.state.grant?.multiValued;
  for (const [name, values] of ctx.state.params)
    if (values.length > 1 && !multiValued?.has(name))
      throw new InvalidRequest(`the "${name}" parameter must not be repeated`);
  return next();
}
