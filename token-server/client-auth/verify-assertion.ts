// private_key_jwt (RFC 7523 §2.2 and §3, RFC 7521 §4.2): a JWT signed by the client
// with iss = sub = client_id, exp required (at most an hour ahead), iat (if present)
// not in the future, and a jti used once: the jti guard lives in the token state, so
// this mechanism needs Redis (middleware/state-outage.ts).
//
// `aud` must be exactly this server's issuer identifier, as a single string
// (draft-ietf-oauth-rfc7523bis): an audience of endpoint URLs let a malicious server
// that advertised another server's token endpoint as its own collect assertions the
// other server accepted. A client can check an issuer against discovery (RFC 8414
// §3.3), not an endpoint. No token-endpoint transition: Tollgate's clients are
// registered fresh, and openid-client (oauth4webapi) already sends the issuer.
import { decodeJwt, errors, jwtVerify } from "jose";
import type { ClientRecord } from "../../registry/record.ts";
import { ASYMMETRIC_ALGORITHMS } from "../asymmetric-algorithms.ts";
import { clientEntry } from "../client-entry.ts";
import { InvalidClient } from "../errors.ts";
import type { Ctx } from "../request-context.ts";

/** An assertion may not claim to live longer than this, so the jti guard stays small. */
const MAX_LIFETIME_SECONDS = 3600;

/** The client an assertion claims to be (its `sub`), read before verification only to find the keys. */
export function assertedClientId(assertion: string): string {
  try {
    const { sub, iss } = decodeJwt(assertion);
    if (typeof sub === "string" && sub !== "") return sub;
    if (typeof iss === "string" && iss !== "") return iss;
  } catch {
    // Falls through.
  }
  throw new InvalidClient("client_assertion is not a JWT naming the client in sub");
}

export async function verifyAssertion(ctx: Ctx, record: ClientRecord, assertion: string): Promise<void> {
  const { settings, state } = ctx.state.server;
  const keys = (ctx.state.server.clients.entry(record.clientId) ?? clientEntry(record)).keys;
  if (!keys) throw new InvalidClient("client authentication failed", "private_key_jwt client has no keys");
  let claims: Awaited<ReturnType<typeof jwtVerify>>["payload"];
  try {
    ({ payload: claims } = await jwtVerify(assertion, keys, {
      issuer: record.clientId,
      subject: record.clientId,
      audience: settings.issuer,
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      clockTolerance: settings.clockToleranceSeconds,
      requiredClaims: ["exp", "jti"],
    }));
  } catch (error) {
    const reason = error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : String(error);
    throw new InvalidClient("client_assertion is invalid", reason);
  }
  if (typeof claims.aud !== "string")
    throw new InvalidClient(
      "client_assertion aud must be this server's issuer identifier as a single string, not an array",
    );
  const now = Math.floor(Date.now() / 1000);
  if (claims.iat !== undefined && claims.iat > now + settings.clockToleranceSeconds)
    throw new InvalidClient("client_assertion iat is in the future");
  const exp = claims.exp as number;
  if (exp - now > MAX_LIFETIME_SECONDS)
    throw new InvalidClient(`client_assertion must expire within ${MAX_LIFETIME_SECONDS} seconds`);
  const ttl = exp - now + settings.clockToleranceSeconds;
  const fresh = await state.replay.useOnce("client-assertion", `${record.clientId}:${claims.jti}`, ttl);
  if (!fresh) throw new InvalidClient("client_assertion was already used", `jti ${claims.jti} replayed`);
}
