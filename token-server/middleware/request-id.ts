// Every request gets an id, echoed in the `X-Request-Id` response header and logged
// with its refusal or failure, so a client's bug report ("request 7f3c… got
// invalid_client") leads to the one log line that says why. An id a proxy or client
// already set is kept when it is short and plain (it then correlates across hops);
// anything else is replaced, so a caller cannot inject text into the logs.
import { randomUUID } from "node:crypto";
import type { Ctx } from "../request-context.ts";
import { setHeader } from "../set-header.ts";

export const REQUEST_ID_HEADER = "X-Request-Id";
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function assignRequestId(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  const offered = ctx.get(REQUEST_ID_HEADER);
  const id = ACCEPTABLE_ID.test(offered) ? offered : randomUUID();
  ctx.state.requestId = id;
  setHeader(ctx, REQUEST_ID_HEADER, id);
  return next();
}
