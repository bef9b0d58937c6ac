// POST /oauth2/introspect (RFC 7662). Callers authenticate as clients. A client that
// authenticates with a credential may introspect any token (resource servers are
// registered as clients for this); a public client (`none`) only its own tokens.
// Anything not active answers exactly {"active": false}, whatever the reason, which
// only the logs see. A refresh token (RFC 7662 §2.2 token_type "refresh_token") is
// active while the refresh grant would honour it; an access token reports the claims
// it carries, mapped identity claims (assertion grants) included.

import { authenticateClient } from "../client-auth/authenticate-client.ts";
import { handleErrors } from "../middleware/error-handler.ts";
import { noCache } from "../middleware/no-cache.ts";
import { parseForm } from "../middleware/parse-form.ts";
import { rejectDupes } from "../middleware/reject-dupes.ts";
import { type Ctx, requiredParam, type Step, type TokenServer } from "../request-context.ts";
import { sendJson } from "../send-json.ts";
import { type AccessTokenClaims, NAMESPACE_CLAIM } from "../state/token-records.ts";
import { type FoundAccessToken, type FoundRefreshToken, findToken } from "../tokens/find-token.ts";
import { liveness } from "../tokens/liveness.ts";

/** The claims this server sets on every access token; any other claim is a mapped one. */
const REGISTERED = new Set(["iss", "sub", "aud", "client_id", "scope", "jti", "iat", "exp", NAMESPACE_CLAIM]);

async function introspectToken(ctx: Ctx): Promise<void> {
  const token = requiredParam(ctx, "token");
  const { server } = ctx.state;
  const answer = await answerFor(ctx, token);
  if ("reason" in answer) {
    server.log.debug("introspection: inactive", { caller: ctx.state.client?.clientId, reason: answer.reason });
    sendJson(ctx, { active: false });
    return;
  }
  sendJson(ctx, answer);
}

async function answerFor(ctx: Ctx, token: string): Promise<Answer> {
  const { server } = ctx.state;
  const found = await findToken(server, token);
  if (!found) return { reason: "not a token" };
  const alive = await liveness(server, found, token);
  if (!alive.active) return { reason: alive.reason };
  return found.kind === "refresh" ? refreshTokenAnswer(ctx, found) : accessTokenAnswer(ctx, found);
}

type Answer = Record<string, unknown> | { reason: string };

/** A public client (`none`) may only ask about its own tokens. */
function foreign(ctx: Ctx, clientId: string): boolean {
  return ctx.state.authMethod === "none" && clientId !== ctx.state.client?.clientId;
}

function refreshTokenAnswer(ctx: Ctx, { record }: FoundRefreshToken): Answer {
  if (foreign(ctx, record.clientId)) return { reason: "public client asking about another client's token" };
  return {
    active: true,
    ...(record.scope.length === 0 ? {} : { scope: record.scope.join(" ") }),
    client_id: record.clientId,
    token_type: "refresh_token",
    exp: record.expiresAt,
    iat: record.issuedAt,
    sub: record.sub,
    iss: ctx.state.server.settings.issuer,
  };
}

function accessTokenAnswer(ctx: Ctx, { claims }: FoundAccessToken): Answer {
  if (foreign(ctx, claims.client_id)) return { reason: "public client asking about another client's token" };
  return {
    ...mappedClaims(claims),
    active: true,
    ...(claims.scope === undefined ? {} : { scope: claims.scope }),
    client_id: claims.client_id,
    token_type: "Bearer",
    exp: claims.exp,
    iat: claims.iat,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    jti: claims.jti,
    ...(claims[NAMESPACE_CLAIM] === undefined ? {} : { [NAMESPACE_CLAIM]: claims[NAMESPACE_CLAIM] }),
  };
}

/** Identity claims an assertion grant mapped into the token (verified JWT payload, or the opaque token's stored claims). */
function mappedClaims(claims: AccessTokenClaims): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([name]) => !REGISTERED.has(name) && name !== "active"));
}

export function introspectionEndpoint(server: TokenServer): Step[] {
  return [handleErrors(server, "introspect"), noCache, parseForm, rejectDupes, authenticateClient, introspectToken];
}
