// POST /oauth2/token (RFC 6749 §3.2, §5): the spec's checklist, one named step each.

import { authenticateClient } from "../client-auth/authenticate-client.ts";
import type { Ctx, Step, TokenServer } from "../context.ts";
import { checkGrantAllowed } from "../middleware/check-grant-allowed.ts";
import { checkGrantType } from "../middleware/check-grant-type.ts";
import { noCache } from "../middleware/no-cache.ts";
import { observe } from "../middleware/observe.ts";
import { parseForm } from "../middleware/parse-form.ts";
import { rejectDupes } from "../middleware/reject-dupes.ts";

async function callGrantHandler(ctx: Ctx): Promise<void> {
  await ctx.state.grant?.handler(ctx);
}

export function tokenEndpoint(server: TokenServer): Step[] {
  return [
    observe(server, "token"),
    noCache,
    parseForm,
    checkGrantType,
    rejectDupes,
    authenticateClient,
    checkGrantAllowed,
    callGrantHandler,
  ];
}
