// GET and POST /oauth2/userinfo (OpenID Connect Core §5.3): the claims about the
// signed-in user that the access token's scope releases, for an access token of this
// server (JWT or opaque) that is alive and has the `openid` scope. The token comes in
// the Authorization header, or for POST in a form-encoded `access_token` (RFC 6750
// §2.1, §2.2); never in the query (§2.3 would put it in logs and histories).
//
// Errors are RFC 6750 §3's: a request without a token gets 401 and a bare
// `WWW-Authenticate: Bearer realm="tollgate"`; a malformed one 400 invalid_request; a
// token that is not alive 401 invalid_token; one without `openid` 403
// insufficient_scope. The challenge carries error and error_description; the body is
// the same JSON the other endpoints answer with.
//
// The token's audience is not checked: the `openid` scope is what authorises a call
// here, as in most OpenID Providers, so a token for a resource server reads the same
// user's claims its client was allowed to read.
import { OAuthError } from "../errors.ts";
import { handleRequestErrors } from "../middleware/error-handler.ts";
import { noCache } from "../middleware/no-cache.ts";
import { decodeForm } from "../middleware/parse-form.ts";
import type { Ctx, Params, RequestState, Step, TokenServer } from "../request-context.ts";
import { sendJson } from "../send-json.ts";
import { userExists } from "../sessions/users.ts";
import { findToken } from "../tokens/find-token.ts";
import { liveness } from "../tokens/liveness.ts";
import { claimsForScope } from "../users/user-claims.ts";

const REALM = "tollgate";
const FORM = "application/x-www-form-urlencoded";
/** A form of a token and little else: userinfo needs no large body. */
const MAX_BODY_BYTES = 16 * 1024;

/** RFC 6750 §3.1's error codes, each with its status. */
class BearerError extends OAuthError {
  constructor(error: "invalid_request" | "invalid_token" | "insufficient_scope", description: string, detail?: string) {
    super(error, error === "invalid_request" ? 400 : error === "invalid_token" ? 401 : 403, description, detail);
  }
}

/** No credentials at all (RFC 6750 §3.1: then the challenge names no error). */
class NoToken extends OAuthError {
  constructor() {
    super("invalid_request", 401, "an access token is required (Authorization: Bearer ...)");
  }
}

type UserinfoCtx = Ctx & { state: RequestState & { bearer?: string } };

export function userinfoEndpoint(server: TokenServer): Step[] {
  return [handleBearerErrors(server), noCache, readBearerToken, answerClaims] as Step[];
}

function handleBearerErrors(server: TokenServer): Step {
  return handleRequestErrors<Ctx>(server, "userinfo", {
    refused: "userinfo request refused",
    failed: "userinfo request failed",
    initialParams: () => new Map(),
    answer(ctx, error) {
      sendJson(ctx, error.body(), error.status);
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      const challenge =
        error instanceof NoToken
          ? `Bearer realm="${REALM}"`
          : `Bearer realm="${REALM}", error="${error.error}", error_description="${error.description}"${
              error.error === "insufficient_scope" ? ', scope="openid"' : ""
            }`;
      // Outages (503) and failures keep their own answer; a client retries those.
      if (error.status < 500) ctx.set("WWW-Authenticate", challenge);
      return { status: error.status };
    },
    clientId: (ctx) => ctx.state.client?.clientId,
    count: (_ctx, outcome) => server.metrics.requests.inc({ endpoint: "userinfo", grant_type: "", outcome }),
  });
}

async function readBearerToken(ctx: UserinfoCtx, next: () => Promise<void>): Promise<void> {
  if (ctx.querystring !== "" && decodeForm(ctx.querystring).has("access_token"))
    throw new BearerError("invalid_request", "send the access token in the Authorization header, not the URL");
  const header = ctx.get("authorization");
  const body = ctx.method === "POST" ? await formOf(ctx) : new Map<string, string[]>();
  ctx.state.params = body;
  const inBody = body.get("access_token");
  if (inBody && inBody.length > 1) throw new BearerError("invalid_request", "access_token must not be repeated");
  if (header !== "" && inBody) throw new BearerError("invalid_request", "send the access token one way only");
  let token: string | undefined;
  if (header !== "") {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) throw new BearerError("invalid_request", "the Authorization header must be 'Bearer <token>'");
    token = match[1];
  } else token = inBody?.[0];
  if (!token) throw new NoToken();
  ctx.state.bearer = token;
  await next();
}

async function formOf(ctx: Ctx): Promise<Params> {
  const type = ctx.get("content-type").split(";")[0]?.trim().toLowerCase();
  if (type !== FORM) return new Map();
  const length = Number(ctx.get("content-length") || "0");
  if (length > MAX_BODY_BYTES) throw new BearerError("invalid_request", "the request body is too large");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BearerError("invalid_request", "the request body is too large");
    chunks.push(chunk);
  }
  try {
    return decodeForm(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks)));
  } catch {
    throw new BearerError("invalid_request", "the request body is malformed");
  }
}

async function answerClaims(ctx: UserinfoCtx): Promise<void> {
  const { server } = ctx.state;
  const token = ctx.state.bearer;
  if (token === undefined) throw new Error("readBearerToken did not run");
  const found = await findToken(server, token);
  if (found?.kind !== "access")
    throw new BearerError("invalid_token", "the access token is invalid, expired or revoked", "not an access token");
  const alive = await liveness(server, found);
  if (!alive.active)
    throw new BearerError("invalid_token", "the access token is invalid, expired or revoked", alive.reason);
  const { claims } = found;
  const client = server.clients.get(claims.client_id);
  if (!client) throw new BearerError("invalid_token", "the access token is invalid, expired or revoked", "no client");
  ctx.state.client = client;
  const scope = claims.scope?.split(" ") ?? [];
  if (!scope.includes("openid"))
    throw new BearerError("insufficient_scope", "the access token was not issued with the openid scope");
  // A user removed from the directory is gone for userinfo at once, as for sign-in.
  if (!userExists(server, client, claims.sub))
    throw new BearerError(
      "invalid_token",
      "the access token's user is no longer known",
      `user ${claims.sub} not in the directory`,
    );
  sendJson(ctx, { ...claimsForScope(client, claims.sub, scope), sub: claims.sub });
}
