// POST /oauth2/revoke (RFC 7009). 200 with an empty body for a token that is revoked
// now, was dead already, or was never ours (§2.2: an invalid token is not an error).
// A token of another client is refused with invalid_grant (tokens/revoke.ts decides).
// Revoking needs the token state; while it is down the answer is 503 (middleware/state-outage.ts).

import { authenticateClient } from "../client-auth/authenticate-client.ts";
import { handleErrors } from "../middleware/error-handler.ts";
import { noCache } from "../middleware/no-cache.ts";
import { parseForm } from "../middleware/parse-form.ts";
import { rejectDupes } from "../middleware/reject-dupes.ts";
import { authenticatedClient, type Ctx, requiredParam, type Step, type TokenServer } from "../request-context.ts";
import { revoke } from "../tokens/revoke.ts";

async function revokeToken(ctx: Ctx): Promise<void> {
  const token = requiredParam(ctx, "token");
  await revoke(ctx.state.server, token, authenticatedClient(ctx));
  ctx.status = 200;
  ctx.body = "";
}

export function revocationEndpoint(server: TokenServer): Step[] {
  return [handleErrors(server, "revoke"), noCache, parseForm, rejectDupes, authenticateClient, revokeToken];
}
