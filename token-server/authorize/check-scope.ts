import { resolveAudience } from "../audience.ts";
import { clientEntry } from "../client-entry.ts";
import { resolveScope } from "../scope.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";

/**
 * Scope (RFC 6749 §3.3) and target (RFC 8707 `resource`, `audience`) against what the
 * client may have, with the same rules as the token endpoint; the result waits in the
 * request for the consent page and the code.
 */
export async function checkScopeAndAudience(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  const { client, params, server } = ctx.state;
  if (!client) throw new Error("checkClient did not run");
  ctx.state.requested = {
    scope: resolveScope(server.clients.entry(client.clientId) ?? clientEntry(client), params.get("scope")?.[0]),
    audience: resolveAudience(client, params.get("resource"), params.get("audience"), server.settings.issuer),
  };
  await next();
}
