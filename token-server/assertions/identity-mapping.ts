// What the JWT and SAML bearer grants share (RFC 7521 §5.2, RFC 7522 §3, RFC 7523 §3):
// the audiences an assertion may name, the subject check, claim mappings into the
// access token, and the single-use guard of assertion IDs. The mapping is the
// client's (registry/record.ts CompiledIdentityMapping).
import { createHash } from "node:crypto";
import type { ClientRecord, CompiledIdentityMapping } from "../../registry/record.ts";
import { InvalidGrant } from "../errors.ts";
import { refuseClientIdentity } from "../identity-source.ts";
import type { ServerSettings, TokenServer } from "../request-context.ts";

/** Claims an access token gets from this server only; a mapping never sets them. */
const RESERVED_CLAIMS = new Set([
  "iss",
  "sub",
  "aud",
  "exp",
  "nbf",
  "iat",
  "jti",
  "client_id",
  "scope",
  "cnf",
  "act",
  "may_act",
  "auth_time",
]);

export function identityMapping(client: ClientRecord): CompiledIdentityMapping {
  const mapping = client.identityMapping;
  if (!mapping) throw new InvalidGrant("this client has no identity mapping, so it trusts no assertion issuer");
  return mapping;
}

/** This server's names (issuer, token endpoint) and the mapping's extra audiences. */
export function acceptedAudiences(settings: ServerSettings, mapping: CompiledIdentityMapping): string[] {
  return [settings.issuer, settings.tokenEndpoint, ...mapping.audiences];
}

/**
 * The asserted subject, checked against the allowedSubjects of the issuer or IdP that
 * asserted it (each source its own list: one must not speak for another's subjects),
 * and never the client's own identity.
 */
export function checkSubject(
  client: ClientRecord,
  source: { allowedSubjects?: string[] },
  subject: unknown,
  where: string,
): string {
  if (typeof subject !== "string" || subject === "") throw new InvalidGrant(`the assertion has no subject in ${where}`);
  if (source.allowedSubjects && !source.allowedSubjects.includes(subject))
    throw new InvalidGrant("the assertion's subject is not allowed for this client", `subject "${subject}"`);
  refuseClientIdentity(client, subject);
  return subject;
}

/** Copies mapped claims (or attributes) into access-token claims; absent ones are skipped. */
export function mapClaims(mapping: CompiledIdentityMapping, read: (name: string) => unknown): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const { from, to } of mapping.claimMappings) {
    if (RESERVED_CLAIMS.has(to)) continue;
    const value = read(from);
    if (value !== undefined) claims[to] = value;
  }
  return claims;
}

/**
 * Marks an assertion ID (jti, SAML Assertion ID) of an issuer spent until the assertion
 * would expire anyway; a second use is refused. Needs the token state.
 */
export async function useAssertionOnce(
  server: TokenServer,
  kind: "jwt-bearer" | "saml2-bearer",
  issuer: string,
  id: string,
  ttlSeconds: number,
): Promise<void> {
  const key = createHash("sha256").update(issuer).update("\n").update(id).digest("base64url");
  const fresh = await server.state.replay.useOnce(kind, key, ttlSeconds);
  if (!fresh) throw new InvalidGrant("the assertion was already used", `${kind} id "${id.slice(0, 200)}" replayed`);
}
