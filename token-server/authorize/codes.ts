// Authorization codes (RFC 6749 §4.1.2, §10.5): 256 random bits, stored only as their
// SHA-256 for AUTHORIZATION_CODE_LIFETIME_SECONDS, bound to the client, the redirect
// URI, the PKCE challenge, the scope, audience and user. The token endpoint takes a
// code exactly once (grants/authorization-code.ts).
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { USERS_SOURCE, vouchedFor } from "../identity-source.ts";
import type { SessionUser } from "../sessions/sessions.ts";
import type { AuthorizationCodeRecord } from "../state/token-records.ts";
import type { AuthorizeCtx, PendingAuthorization } from "./authorize-context.ts";
import { redirectToClient } from "./browser-response.ts";

/** One minute: the redirect and the exchange take a second or two; a leaked code should die fast. */
export const AUTHORIZATION_CODE_LIFETIME_SECONDS = 60;

export function hashAuthorizationCode(code: string): string {
  return createHash("sha256").update(code).digest("base64url");
}

/** Prefix of authorization codes, so a code that reached a log or a referrer is recognisable (test/log-leak/). */
export const AUTHORIZATION_CODE_PREFIX = "tgac_";

/** Issues a code for the request and redirects the browser to the client with it. */
export async function issueCodeAndRedirect(
  ctx: AuthorizeCtx,
  pending: PendingAuthorization,
  user: SessionUser,
): Promise<void> {
  const code = `${AUTHORIZATION_CODE_PREFIX}${randomBytes(32).toString("base64url")}`;
  const now = Math.floor(Date.now() / 1000);
  const client = ctx.state.client;
  if (!client) throw new Error("the pending request's client was not loaded");
  const record: AuthorizationCodeRecord = {
    clientId: pending.clientId,
    redirectUri: pending.redirectUri,
    redirectUriInRequest: pending.redirectUriInRequest,
    scope: pending.scope,
    audience: pending.audience,
    ...vouchedFor(client, USERS_SOURCE, user.sub),
    authTime: user.authTime,
    familyId: randomUUID(),
    issuedAt: now,
    expiresAt: now + AUTHORIZATION_CODE_LIFETIME_SECONDS,
  };
  if (pending.codeChallenge !== undefined) record.codeChallenge = pending.codeChallenge;
  if (pending.nonce !== undefined) record.nonce = pending.nonce;
  const { server } = ctx.state;
  await server.state.codes.put(hashAuthorizationCode(code), record, AUTHORIZATION_CODE_LIFETIME_SECONDS);
  server.log.info("authorization code issued", {
    client_id: pending.clientId,
    sub: record.sub,
    family: record.familyId,
  });
  redirectToClient(ctx, { code });
}
