// Whether the grant behind a refresh-token family still stands under the client's
// registration as it is now, not as it was when the family started. Asked by the
// refresh grant and by introspection (through liveness.ts), so a refresh token ends
// the moment what vouched for it goes away, rather than living on (under
// rotateAndReset, for ever):
// - the client no longer has the grant type that started the family, or refresh_token;
// - an audience of the grant is no longer among the client's audiences;
// - the source of the subject no longer vouches for it: the user is gone from the
//   directory, the JWT issuer or SAML IdP is no longer trusted, or the subject is no
//   longer in that issuer's or IdP's allowedSubjects (identity-source.ts);
// - the family rotated and the client now reuses refresh tokens: a rotated-out token
//   would be good again under reuse, so the family ends instead.
import type { ClientRecord } from "../../registry/record.ts";
import { type Identity, jwtSource, samlSource, USERS_SOURCE } from "../identity-source.ts";
import type { TokenServer } from "../request-context.ts";
import type { RefreshTokenRecord } from "../state/token-records.ts";
import { userDirectoryOf } from "../users/verify-user.ts";
import { refreshIssuance } from "./refresh-tokens.ts";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const SAML2_BEARER = "urn:ietf:params:oauth:grant-type:saml2-bearer";

/** Why the grant no longer stands, or undefined while it does. */
export function grantWithdrawn(
  server: TokenServer,
  client: ClientRecord,
  record: RefreshTokenRecord,
): string | undefined {
  if (!client.grantTypes.includes("refresh_token")) return "the client no longer has the refresh_token grant";
  if (!client.grantTypes.includes(record.grantType as ClientRecord["grantTypes"][number]))
    return `the client no longer has the ${record.grantType} grant`;
  const audiences = new Set([...client.audiences, server.settings.issuer]);
  const lost = record.audience.find((audience) => !audiences.has(audience));
  if (lost !== undefined) return `audience "${lost}" is no longer allowed for the client`;
  if (record.issuance !== undefined && record.issuance !== "reuse" && refreshIssuance(client) === "reuse")
    return "the client turned from rotating refresh tokens to reusing them";
  return sourceWithdrawn(server, client, record.identity ?? legacyIdentity(record));
}

function sourceWithdrawn(server: TokenServer, client: ClientRecord, identity: Identity): string | undefined {
  const { source, subject } = identity;
  if (subject === client.clientId || subject === client.subject) return "the subject names the client itself";
  const mapping = client.identityMapping;
  if (source === USERS_SOURCE)
    return userDirectoryOf(server, client)?.users.has(subject) ? undefined : "the user is no longer in the directory";
  const trusted = [
    ...(mapping?.jwtIssuers ?? []).map((issuer) => ({ id: jwtSource(issuer.issuer), allowed: issuer.allowedSubjects })),
    ...(mapping?.samlIdps ?? []).map((idp) => ({ id: samlSource(idp.entityId), allowed: idp.allowedSubjects })),
  ];
  // A record from before identities were kept names its kind, not its issuer: any of that kind may vouch.
  const candidates = trusted.filter((t) => (source.endsWith(":") ? t.id.startsWith(source) : t.id === source));
  if (candidates.length === 0) return `${source} is no longer trusted by the client`;
  if (!candidates.some((t) => !t.allowed || t.allowed.includes(subject)))
    return "the subject is no longer allowed for the client";
  return undefined;
}

/** What a record written before identities were kept can say: its grant's kind of source and its sub. */
function legacyIdentity(record: RefreshTokenRecord): Identity {
  const source = record.grantType === JWT_BEARER ? "jwt:" : record.grantType === SAML2_BEARER ? "saml:" : USERS_SOURCE;
  return { source, subject: record.sub };
}
