// A route whose steps are imported on its first request rather than at start (the
// browser flow, app.ts): the import and the composition happen once, and concurrent
// first requests share them. A route that is never asked for costs nothing.
import compose from "koa-compose";
import type { Ctx, Step } from "../request-context.ts";

export function lazySteps(load: () => Promise<Step[]>): Step {
  let composed: Promise<Step> | undefined;
  return async (ctx: Ctx, next: () => Promise<void>) => {
    composed ??= load().then((steps) => compose(steps) as Step);
    return (await composed)(ctx, next);
  };
}
