// POST /oauth2/authorize/consent: Allow remembers the consent and issues the code;
// Deny ends the request with access_denied at the client (RFC 6749 §4.1.2.1); "Use
// another account" asks for a sign-in again, as prompt=login would.
import { InvalidRequest } from "../errors.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { pendingOf } from "./authorize-context.ts";
import { AccessDenied } from "./authorize-errors.ts";
import { issueCodeAndRedirect } from "./codes.ts";
import { rememberConsent } from "./consent-store.ts";
import { AUTHORIZE_PATHS, issuerPath } from "./paths.ts";
import { deletePending, savePending } from "./pending-store.ts";
import { proceed, signedInUser } from "./proceed.ts";

export async function recordConsent(ctx: AuthorizeCtx): Promise<void> {
  const { server, client } = ctx.state;
  const pending = pendingOf(ctx);
  if (!client) throw new Error("loadPendingRequest did not run");
  const user = signedInUser(ctx, client, pending);
  // Signed out (or the session expired) since the page was shown: sign in again.
  if (!user) return proceed(ctx, pending);
  const decision = ctx.state.params.get("decision")?.[0];
  if (decision === "deny") {
    await deletePending(server, pending.id);
    server.log.info("consent denied", { client_id: client.clientId, sub: user.sub });
    throw new AccessDenied("the user denied the request");
  }
  if (decision === "switch") {
    pending.prompt = [...new Set([...pending.prompt, "login" as const])];
    pending.signedInHere = false;
    await savePending(server, pending);
    ctx.status = 303;
    ctx.set("Location", `${issuerPath(server.settings.issuer)}${AUTHORIZE_PATHS.continue}?request=${pending.id}`);
    ctx.body = "";
    return;
  }
  if (decision !== "allow") throw new InvalidRequest("the consent form needs decision allow, deny or switch");
  await rememberConsent(server, client, user.sub, { scope: pending.scope, audience: pending.audience });
  await deletePending(server, pending.id);
  server.log.info("consent granted", { client_id: client.clientId, sub: user.sub });
  await issueCodeAndRedirect(ctx, pending, user);
}
