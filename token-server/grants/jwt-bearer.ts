// RFC 7523 §2.1 and §3 (with RFC 7521 §4.1): a JWT from an issuer the client trusts
// becomes an access token for its subject. The checks, in order, each failure an
// `invalid_grant` whose description tells the integrator what to fix and nothing the
// logs alone should know:
//   a JWT; iss trusted by this client's identity mapping; alg on that issuer's
//   allow-list and asymmetric (never `none`, never HS*: a public key must not double
//   as an HMAC secret); signature by a key of that issuer; aud naming this server
//   (issuer, token endpoint, or the mapping's audiences); exp present and future;
//   nbf and iat not in the future (clock tolerance from the server settings); not
//   older than the mapping's maximum age; the subject claim present and allowed; the
//   jti present and unused (kept spent until exp).
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { CompiledIdentityMapping, CompiledJwtIssuer } from "../../registry/record.ts";
import { ASSERTION_GRANT_PARAMETERS, assertionRequest } from "../assertions/assertion-request.ts";
import { acceptedAudiences, checkSubject, mapClaims, useAssertionOnce } from "../assertions/identity-mapping.ts";
import { ASYMMETRIC_ALGORITHMS } from "../asymmetric-algorithms.ts";
import { InvalidGrant } from "../errors.ts";
import { jwtSource, vouchedFor } from "../identity-source.ts";
import { authenticatedEntry, type Ctx, type ServerSettings } from "../request-context.ts";
import type { Grant, GrantOutcome } from "./grant.ts";

export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** An issuer's allow-list is intersected with these. */
const ASYMMETRIC = new Set(ASYMMETRIC_ALGORITHMS);
/**
 * The longest `exp` ahead an assertion may claim: a day covers workload tokens (CI job
 * tokens, projected ServiceAccount tokens) that live for their job or an hour or a few.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 24 * 3600;

/** A JWT assertion is a few hundred bytes to a few KiB; the form body limit bounds it too. */
const MAX_ASSERTION_LENGTH = 16 * 1024;

export const jwtBearer: Grant = {
  ...ASSERTION_GRANT_PARAMETERS,
  async handler(ctx: Ctx): Promise<GrantOutcome> {
    const { server } = ctx.state;
    const request = assertionRequest(ctx, MAX_ASSERTION_LENGTH);
    const { mapping } = request;
    const entry = authenticatedEntry(ctx);
    const claims = await verifyJwtAssertion(server.settings, mapping, request.assertion, (iss) =>
      entry.issuerKeys.get(iss),
    );
    const issuer = claims.iss as string;
    const trusted = mapping.jwtIssuers.find((i) => i.issuer === issuer);
    if (!trusted) throw new InvalidGrant("the assertion's issuer is not trusted by this client");
    const { subjectClaim } = trusted;
    const subject = checkSubject(request.client, trusted, claims[subjectClaim], `its "${subjectClaim}" claim`);
    const now = Math.floor(Date.now() / 1000);
    await useAssertionOnce(
      server,
      "jwt-bearer",
      issuer,
      claims.jti as string,
      (claims.exp as number) - now + server.settings.clockToleranceSeconds,
    );
    return {
      ...vouchedFor(request.client, jwtSource(issuer), subject),
      scope: request.scope,
      audience: request.audience,
      claims: mapClaims(mapping, (name) => claims[name]),
    };
  },
};

/** Verifies the assertion and returns its claims; every failure is an InvalidGrant. */
export async function verifyJwtAssertion(
  settings: ServerSettings,
  mapping: CompiledIdentityMapping,
  assertion: string,
  keysOf: (issuer: string) => JWTVerifyGetKey | undefined,
): Promise<JWTPayload> {
  let alg: string | undefined;
  let iss: string | undefined;
  try {
    alg = decodeProtectedHeader(assertion).alg;
    iss = decodeJwt(assertion).iss;
  } catch {
    throw new InvalidGrant("the assertion is not a signed JWT (RFC 7519 compact serialization)");
  }
  if (alg === undefined || alg === "none" || alg.toLowerCase() === "none")
    throw new InvalidGrant('the assertion must be signed; alg "none" is not accepted');
  if (/^HS/i.test(alg))
    throw new InvalidGrant(`the assertion must be signed with the issuer's private key; ${alg} (HMAC) is not accepted`);
  if (typeof iss !== "string" || iss === "") throw new InvalidGrant('the assertion has no "iss" claim');
  const issuer = mapping.jwtIssuers.find((candidate) => candidate.issuer === iss);
  if (!issuer) throw new InvalidGrant("the assertion's issuer is not trusted by this client", `iss "${iss}"`);
  const algorithms = issuer.algorithms.filter((a) => ASYMMETRIC.has(a));
  if (!algorithms.includes(alg))
    throw new InvalidGrant(
      `the assertion is signed with ${alg}; this issuer is trusted for ${algorithms.join(", ") || "no algorithm"} only`,
    );
  const keys = keysOf(issuer.issuer);
  if (!keys) throw new InvalidGrant("this client has no keys for the assertion's issuer", `issuer ${iss}`);
  const audiences = acceptedAudiences(settings, mapping);
  const tolerance = settings.clockToleranceSeconds;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, keys, {
      issuer: issuer.issuer,
      audience: audiences,
      algorithms,
      clockTolerance: tolerance,
      requiredClaims: ["exp", "jti"],
    }));
  } catch (error) {
    throw explain(error, issuer, settings);
  }
  const now = Math.floor(Date.now() / 1000);
  const maxAge = mapping.maxAssertionAgeSeconds;
  if (typeof payload.jti !== "string" || payload.jti === "")
    throw new InvalidGrant('the assertion\'s "jti" must be a non-empty string (it is used once)');
  if (payload.iat !== undefined) {
    if (payload.iat > now + tolerance) throw new InvalidGrant('the assertion\'s "iat" is in the future');
    if (now - payload.iat > maxAge + tolerance)
      throw new InvalidGrant(`the assertion is older than ${maxAge} seconds (by its "iat"); request a fresh one`);
  } else if ((payload.exp as number) - now > maxAge + tolerance)
    // Without iat the age is unknown: the assertion may not outlive the maximum age from now.
    throw new InvalidGrant(`an assertion without "iat" must expire within ${maxAge} seconds`);
  // Its jti is kept until exp: an assertion claiming to live for years would pin the
  // replay guard (and a stolen one stays usable by a client that keeps its iat fresh-looking).
  if ((payload.exp as number) - now > MAX_ASSERTION_LIFETIME_SECONDS + tolerance)
    throw new InvalidGrant(`the assertion must expire within ${MAX_ASSERTION_LIFETIME_SECONDS / 3600} hours`);
  return payload;
}

function explain(error: unknown, issuer: CompiledJwtIssuer, settings: ServerSettings): InvalidGrant {
  const detail = error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : String(error);
  if (error instanceof errors.JWTExpired) return new InvalidGrant("the assertion has expired", detail);
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "aud":
        return new InvalidGrant(
          `the assertion's "aud" must name this server: ${settings.tokenEndpoint} or ${settings.issuer}`,
          detail,
        );
      case "nbf":
        return new InvalidGrant("the assertion is not valid yet (nbf)", detail);
      case "iat":
        return new InvalidGrant('the assertion\'s "iat" is not acceptable', detail);
      case "exp":
        return new InvalidGrant('the assertion must have an "exp" claim', detail);
      case "jti":
        return new InvalidGrant('the assertion must have a "jti" claim (it is used once)', detail);
      default:
        return new InvalidGrant(`the assertion's "${error.claim}" claim is not acceptable`, detail);
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey)
    return new InvalidGrant("no key of the assertion's issuer matches its header (kid, alg)", detail);
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return new InvalidGrant("several keys of the issuer match; the assertion must name its key with kid", detail);
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new InvalidGrant("the assertion's signature does not verify with the issuer's keys", detail);
  const fetchFailed =
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError) ||
    (error.code === "ERR_JOSE_GENERIC" && issuer.jwksUri !== undefined);
  if (fetchFailed)
    return new InvalidGrant(
      `the keys of the assertion's issuer could not be fetched${issuer.jwksUri ? "; retry later" : ""}`,
      detail,
    );
  return new InvalidGrant("the assertion is not a valid JWT", detail);
}
