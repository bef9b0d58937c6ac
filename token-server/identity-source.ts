// Who vouched for a token's subject. A client may trust several sources of identity at
// once: its own service identity (client_credentials), a password directory (the
// password grant and the login page), each trusted JWT issuer, each SAML IdP. Each
// names subjects in its own namespace: "alice" from a partner's IdP is not "alice" of
// the directory, and neither is the client's own service identity. When a client has
// more than one source, the token's `sub` carries its source as a prefix,
// "<source>|<subject>":
//   client|svc-orders          the client's registered subject (client_credentials)
//   users|frank                the password directory
//   jwt:<issuer>|<subject>     a trusted JWT issuer
//   saml:<entityId>|<subject>  a trusted SAML IdP
// A prefix rather than an extra claim: resource servers key users on `sub` (RFC 9068
// §2.2 makes it the resource owner), and a claim they never read would leave two
// people with one identity there. `|` cannot appear unescaped in a URI (RFC 3986), so
// the first `|` after an issuer or entity ID ends the source. A client with one source
// keeps plain subjects, so single-source clients see no change.
import type { ClientRecord } from "../registry/record.ts";
import { InvalidGrant } from "./errors.ts";

/** The source and the subject as that source named it, kept with refresh tokens to re-check later. */
export interface Identity {
  source: string;
  subject: string;
}

export const CLIENT_SOURCE = "client";
export const USERS_SOURCE = "users";
export const jwtSource = (issuer: string) => `jwt:${issuer}`;
export const samlSource = (entityId: string) => `saml:${entityId}`;

/** The sources the client trusts now, by its grant types and identity mapping. */
export function identitySources(client: ClientRecord): string[] {
  const sources: string[] = [];
  const grants = client.grantTypes;
  if (grants.includes("client_credentials")) sources.push(CLIENT_SOURCE);
  if (grants.includes("password") || grants.includes("authorization_code")) sources.push(USERS_SOURCE);
  const mapping = client.identityMapping;
  if (grants.includes("urn:ietf:params:oauth:grant-type:jwt-bearer"))
    for (const { issuer } of mapping?.jwtIssuers ?? []) sources.push(jwtSource(issuer));
  if (grants.includes("urn:ietf:params:oauth:grant-type:saml2-bearer"))
    for (const { entityId } of mapping?.samlIdps ?? []) sources.push(samlSource(entityId));
  return sources;
}

/** The token's `sub` for a subject from `source`, with the identity behind it. */
export function vouchedFor(client: ClientRecord, source: string, subject: string): { sub: string; identity: Identity } {
  const sub = identitySources(client).length > 1 ? `${source}|${subject}` : subject;
  return { sub, identity: { source, subject } };
}

/**
 * A person's subject (a username, an asserted subject) must not name the client itself:
 * a user or an issuer's subject "svc-orders" would otherwise get tokens that read as the
 * client's own service identity wherever sources are not told apart.
 */
export function refuseClientIdentity(client: ClientRecord, subject: string): void {
  if (subject === client.clientId || subject === client.subject)
    throw new InvalidGrant(
      "the subject names this client's own identity, which no user or assertion may claim",
      `subject "${subject.slice(0, 200)}" equals the client's ${subject === client.clientId ? "client_id" : "subject"}`,
    );
}
