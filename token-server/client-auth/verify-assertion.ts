// private_key_jwt (RFC 7523 §2.2 and §3, RFC 7521 §4.2): a JWT signed by the client
// with iss = sub = client_id, aud naming this server (its issuer, its token endpoint,
// or the endpoint being called), exp required, and a jti used once: the jti guard
// lives in the token state, so this mechanism needs Redis (middleware/state-outage.ts).
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
      audience: [settings.issuer, settings.tokenEndpoint, settings.introspectionEndpoint, settings.revocationEndpoint],
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      clockTolerance: settings.clockToleranceSeconds,
      requiredClaims: ["exp", "jti"],
    }));
  } catch (error) {
    const reason = error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : String(error);
    throw new InvalidClient("client_assertion is invalid", reason);
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = claims.exp as number;
  if (exp - now > MAX_LIFETIME_SECONDS)
    throw new InvalidClient(`client_assertion must expire within ${MAX_LIFETIME_SECONDS} seconds`);
  const ttl = exp - now + settings.clockToleranceSeconds;
  const fresh = await state.replay.useOnce("client-assertion", `${record.clientId}:${claims.jti}`, ttl);
  if (!fresh) throw new InvalidClient("client_assertion was already used", `jti ${claims.jti} replayed`);
}
