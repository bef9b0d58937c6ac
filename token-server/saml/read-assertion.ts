// Reads the parts of a (verified, canonical) SAML 2.0 Assertion that the bearer grant
// checks (saml-core-2.0-os §2.3.3, §2.4, §2.5, §2.7.3). Text is the element's whole
// text content, never its first text node, so a comment or CDATA break cannot shorten
// a value. Elements are taken from where the schema puts them (direct children), not
// searched for anywhere in the tree.
import type { Element } from "@xmldom/xmldom";
import { BEARER, SAML_NS } from "./names.ts";

export interface BearerConfirmation {
  recipient: string | undefined;
  notBefore: number | undefined;
  notOnOrAfter: number | undefined;
}

export interface SamlAssertion {
  id: string;
  version: string;
  issuer: string | undefined;
  /** Epoch ms. */
  issueInstant: number;
  nameId: string | undefined;
  bearerConfirmations: BearerConfirmation[];
  /** Epoch ms, when present. */
  notBefore: number | undefined;
  notOnOrAfter: number | undefined;
  /** One list of Audience values per AudienceRestriction (each must be satisfied). */
  audienceRestrictions: string[][];
  attributes: Map<string, string[]>;
}

export function children(parent: Element, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling)
    if (node.nodeType === node.ELEMENT_NODE) {
      const element = node as Element;
      if (element.namespaceURI === SAML_NS && element.localName === localName) found.push(element);
    }
  return found;
}

function text(element: Element | undefined): string | undefined {
  return element ? (element.textContent ?? "").trim() : undefined;
}

/** An xs:dateTime as epoch ms; NaN when absent or malformed. */
function instant(element: Element, name: string): number | undefined {
  const value = element.getAttribute(name);
  if (value === null || value === "") return undefined;
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : Number.NaN;
}

/** The Issuer element's text, read from a presented (not yet verified) assertion to pick the IdP's certificates. */
export function claimedIssuer(assertion: Element): string | undefined {
  const issuers = children(assertion, "Issuer");
  return issuers.length === 1 ? text(issuers[0]) : undefined;
}

export function readAssertion(assertion: Element): SamlAssertion {
  const subject = children(assertion, "Subject")[0];
  const nameIds = subject ? children(subject, "NameID") : [];
  const bearerConfirmations: BearerConfirmation[] = [];
  for (const confirmation of subject ? children(subject, "SubjectConfirmation") : []) {
    if (confirmation.getAttribute("Method") !== BEARER) continue;
    const data = children(confirmation, "SubjectConfirmationData")[0];
    bearerConfirmations.push({
      recipient: data?.getAttribute("Recipient") ?? undefined,
      notBefore: data ? instant(data, "NotBefore") : undefined,
      notOnOrAfter: data ? instant(data, "NotOnOrAfter") : undefined,
    });
  }
  const conditions = children(assertion, "Conditions");
  const condition = conditions[0];
  const attributes = new Map<string, string[]>();
  for (const statement of children(assertion, "AttributeStatement"))
    for (const attribute of children(statement, "Attribute")) {
      const name = attribute.getAttribute("Name");
      if (!name) continue;
      const values = children(attribute, "AttributeValue").map((value) => text(value) ?? "");
      attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
    }
  return {
    id: assertion.getAttribute("ID") ?? "",
    version: assertion.getAttribute("Version") ?? "",
    issuer: claimedIssuer(assertion),
    issueInstant: instant(assertion, "IssueInstant") ?? Number.NaN,
    nameId: nameIds.length === 1 ? text(nameIds[0]) : undefined,
    bearerConfirmations,
    // More than one Conditions element is a schema violation; NaN makes the window check refuse it.
    notBefore: conditions.length > 1 ? Number.NaN : condition && instant(condition, "NotBefore"),
    notOnOrAfter: conditions.length > 1 ? Number.NaN : condition && instant(condition, "NotOnOrAfter"),
    audienceRestrictions: condition
      ? children(condition, "AudienceRestriction").map((r) => children(r, "Audience").map((a) => text(a) ?? ""))
      : [],
    attributes,
  };
}
