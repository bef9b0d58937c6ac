// RFC 7522 §2.1 and §3 (with RFC 7521 §4.1): a SAML 2.0 assertion from an identity
// provider the client trusts becomes an access token for its subject. Parsing and
// signature verification are in saml/ (size limit, no DTD, signature wrapping refused
// by construction); this module checks the verified assertion:
//   Version 2.0; Issuer trusted (and the one whose certificates verified it);
//   AudienceRestriction present and each one naming this server (issuer, token
//   endpoint, or the mapping's audiences); a bearer SubjectConfirmation whose Recipient
//   is this token endpoint and whose NotOnOrAfter is future (NotBefore past); the
//   Conditions window; IssueInstant within the maximum age; the subject (NameID or
//   the IdP's subjectAttribute) present and allowed; the assertion ID used once.
// Times use the server's clock tolerance. Every failure is `invalid_grant`.
import type { Element } from "@xmldom/xmldom";
import type { CompiledIdentityMapping, CompiledSamlIdp } from "../../registry/record.ts";
import { ASSERTION_GRANT_PARAMETERS, assertionRequest } from "../assertions/assertion-request.ts";
import { acceptedAudiences, checkSubject, mapClaims, useAssertionOnce } from "../assertions/identity-mapping.ts";
import { InvalidGrant } from "../errors.ts";
import { samlSource, vouchedFor } from "../identity-source.ts";
import type { Ctx, ServerSettings } from "../request-context.ts";
import { decodeAssertion } from "../saml/decode-assertion.ts";
import { claimedIssuer, readAssertion, type SamlAssertion } from "../saml/read-assertion.ts";
import type { Grant, GrantOutcome } from "./grant.ts";

let xmlLibraries: Promise<typeof import("../saml/xml-libraries.ts")> | undefined;
/** The XML parser and signature verifier, loaded once, on the first SAML request. */
const loadXmlLibraries = () => (xmlLibraries ??= import("../saml/xml-libraries.ts"));

export const SAML2_BEARER = "urn:ietf:params:oauth:grant-type:saml2-bearer";

export const saml2Bearer: Grant = {
  ...ASSERTION_GRANT_PARAMETERS,
  async handler(ctx: Ctx): Promise<GrantOutcome> {
    const { server } = ctx.state;
    const request = assertionRequest(ctx);
    const { mapping } = request;
    const { assertion, idp } = await verifySamlAssertion(server.settings, mapping, request.assertion);
    const subject = checkSubject(request.client, idp, subjectOf(assertion, idp), subjectSource(idp));
    // Spent for as long as the assertion could still be accepted: its latest bearer
    // confirmation, unless the Conditions end it sooner.
    const confirmedUntil = Math.max(...assertion.bearerConfirmations.map((b) => b.notOnOrAfter ?? 0));
    const expiresAt = Math.min(confirmedUntil, assertion.notOnOrAfter ?? Number.POSITIVE_INFINITY);
    const ttl = Math.ceil((expiresAt - Date.now()) / 1000) + server.settings.clockToleranceSeconds;
    await useAssertionOnce(server, "saml2-bearer", idp.entityId, assertion.id, ttl);
    return {
      ...vouchedFor(request.client, samlSource(idp.entityId), subject),
      scope: request.scope,
      audience: request.audience,
      claims: mapClaims(mapping, (name) => {
        const values = assertion.attributes.get(name);
        if (!values || values.length === 0) return undefined;
        return values.length === 1 ? values[0] : values;
      }),
    };
  },
};

/** Decodes, parses, verifies and checks an assertion; returns it with the IdP that signed it. */
export async function verifySamlAssertion(
  settings: ServerSettings,
  mapping: CompiledIdentityMapping,
  encoded: string,
): Promise<{ assertion: SamlAssertion; idp: CompiledSamlIdp }> {
  const xml = decodeAssertion(encoded);
  const { parseXml, signedShape, verifySignedAssertion } = await loadXmlLibraries();
  let root: Element;
  try {
    ({ root } = parseXml(xml));
  } catch (error) {
    throw new InvalidGrant("the assertion is not well-formed XML", (error as Error).message);
  }
  signedShape(root);
  const claimed = claimedIssuer(root);
  if (!claimed) throw new InvalidGrant("the assertion must have exactly one <Issuer>");
  const idp = mapping.samlIdps.find((candidate) => candidate.entityId === claimed);
  if (!idp) throw new InvalidGrant("the assertion's issuer is not trusted by this client", `Issuer "${claimed}"`);
  const signed = verifySignedAssertion(xml, root, idp.certificates);
  const assertion = readAssertion(signed);
  if (assertion.issuer !== idp.entityId) throw new InvalidGrant("the signed assertion's <Issuer> is not trusted");
  if (assertion.version !== "2.0") throw new InvalidGrant('the assertion must be SAML Version="2.0"');
  checkAudience(settings, mapping, assertion);
  checkTimes(settings, mapping, assertion);
  return { assertion, idp };
}

function checkAudience(settings: ServerSettings, mapping: CompiledIdentityMapping, assertion: SamlAssertion): void {
  const accepted = acceptedAudiences(settings, mapping);
  if (assertion.audienceRestrictions.length === 0)
    throw new InvalidGrant(`the assertion must have an <AudienceRestriction> naming ${settings.tokenEndpoint}`);
  for (const restriction of assertion.audienceRestrictions)
    if (!restriction.some((value) => accepted.includes(value)))
      throw new InvalidGrant(
        `the assertion's <AudienceRestriction> must name this server: ${settings.tokenEndpoint} or ${settings.issuer}`,
      );
}

function checkTimes(settings: ServerSettings, mapping: CompiledIdentityMapping, assertion: SamlAssertion): void {
  const now = Date.now();
  const tolerance = settings.clockToleranceSeconds * 1000;
  if (!Number.isFinite(assertion.issueInstant)) throw new InvalidGrant("the assertion has no valid IssueInstant");
  if (assertion.issueInstant > now + tolerance) throw new InvalidGrant("the assertion's IssueInstant is in the future");
  if (now - assertion.issueInstant > mapping.maxAssertionAgeSeconds * 1000 + tolerance)
    throw new InvalidGrant(
      `the assertion is older than ${mapping.maxAssertionAgeSeconds} seconds (by its IssueInstant); request a fresh one`,
    );
  const { notBefore, notOnOrAfter } = assertion;
  if (Number.isNaN(notBefore) || Number.isNaN(notOnOrAfter))
    throw new InvalidGrant("the assertion's <Conditions> are malformed");
  if (notBefore !== undefined && notBefore > now + tolerance)
    throw new InvalidGrant("the assertion is not valid yet (Conditions NotBefore)");
  if (notOnOrAfter !== undefined && notOnOrAfter <= now - tolerance)
    throw new InvalidGrant("the assertion has expired (Conditions NotOnOrAfter)");
  const bearers = assertion.bearerConfirmations;
  if (bearers.length === 0)
    throw new InvalidGrant(
      'the assertion needs a <SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">',
    );
  const forUs = bearers.filter((b) => b.recipient === settings.tokenEndpoint);
  if (forUs.length === 0)
    throw new InvalidGrant(`the bearer <SubjectConfirmationData> Recipient must be ${settings.tokenEndpoint}`);
  const live = forUs.filter(
    (b) =>
      b.notOnOrAfter !== undefined &&
      b.notOnOrAfter > now - tolerance &&
      !(b.notBefore !== undefined && (Number.isNaN(b.notBefore) || b.notBefore > now + tolerance)),
  );
  if (live.length === 0) {
    if (forUs.every((b) => b.notOnOrAfter === undefined || Number.isNaN(b.notOnOrAfter)))
      throw new InvalidGrant("the bearer <SubjectConfirmationData> must have a NotOnOrAfter");
    throw new InvalidGrant("the assertion's bearer confirmation has expired or is not valid yet");
  }
  assertion.bearerConfirmations = live;
}

/** The NameID, or the single value of the IdP's subject attribute (several values name nobody). */
function subjectOf(assertion: SamlAssertion, idp: CompiledSamlIdp): string | undefined {
  if (!idp.subjectAttribute) return assertion.nameId;
  const values = assertion.attributes.get(idp.subjectAttribute);
  return values?.length === 1 ? values[0] : undefined;
}

function subjectSource(idp: CompiledSamlIdp): string {
  return idp.subjectAttribute ? `a single-valued "${idp.subjectAttribute}" attribute` : "its <NameID>";
}
