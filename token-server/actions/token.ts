// POST /oauth2/token (RFC 6749 §3.2, §5): the spec's checklist, one named step each.

import type { SpanHandle } from "../../common/tracing.ts";
import { authenticateClient } from "../client-auth/authenticate-client.ts";
import { grants } from "../grants/index.ts";
import { checkGrantAllowed } from "../middleware/check-grant-allowed.ts";
import { checkGrantType } from "../middleware/check-grant-type.ts";
import { handleErrors } from "../middleware/error-handler.ts";
import { noCache } from "../middleware/no-cache.ts";
import { parseForm } from "../middleware/parse-form.ts";
import { rejectDupes } from "../middleware/reject-dupes.ts";
import { authenticatedClient, type Ctx, type Step, type TokenServer } from "../request-context.ts";
import { sendJson } from "../send-json.ts";
import { issue } from "../tokens/issue.ts";

/** The grant decides what the tokens carry; tokens/issue.ts issues them and builds the §5.1 body. */
async function callGrantHandler(ctx: Ctx): Promise<void> {
  const { server, grantType } = ctx.state;
  const grant = grantType === undefined ? undefined : grants.get(grantType);
  if (!grant || grantType === undefined) throw new Error("checkGrantType did not run before this step");
  const outcome = await traced(ctx, `grant ${grantType}`, () => grant.handler(ctx));
  const body = await traced(ctx, "issue tokens", () =>
    issue(server, { client: authenticatedClient(ctx), grantType, grant }, outcome),
  );
  sendJson(ctx, body);
}

/** Runs `step` in a child span of the request's, when tracing is on. */
function traced<T>(ctx: Ctx, name: string, step: () => Promise<T>): Promise<T> {
  const span = ctx.state.span?.child(name);
  return span ? inSpan(span, step) : step();
}

async function inSpan<T>(span: SpanHandle, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    span.fail((error as Error).message);
    throw error;
  } finally {
    span.end();
  }
}

export function tokenEndpoint(server: TokenServer): Step[] {
  return [
    handleErrors(server, "token"),
    noCache,
    parseForm,
    checkGrantType,
    rejectDupes,
    authenticateClient,
    checkGrantAllowed,
    callGrantHandler,
  ];
}
