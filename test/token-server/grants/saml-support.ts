// SAML assertions for the tests, signed by an implementation independent of the server:
// Debian's xmlsec1 (libxmlsec1 over OpenSSL), with certificates from `openssl req -x509`.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SAML = "urn:oasis:names:tc:SAML:2.0:assertion";
export const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

export interface Signer {
  keyPath: string;
  certPath: string;
  certificate: string;
}

const work = mkdtempSync(join(tmpdir(), "tollgate-saml-"));

export function removeSamlWorkDir(): void {
  rmSync(work, { recursive: true, force: true });
}

/** A self-signed RSA certificate and its key, made by openssl. */
export function makeSigner(name: string): Signer {
  const keyPath = join(work, `${name}.key.pem`);
  const certPath = join(work, `${name}.cert.pem`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
    ],
    { stdio: "pipe", timeout: 30_000 },
  );
  return { keyPath, certPath, certificate: readFileSync(certPath, "utf8") };
}

export interface AssertionOptions {
  id?: string;
  issuer: string;
  nameId?: string;
  recipient: string;
  audience: string;
  /** Seconds from now. */
  issuedAgo?: number;
  notBeforeIn?: number;
  expiresIn?: number;
  bearerExpiresIn?: number | null;
  method?: string;
  attributes?: Record<string, string[]>;
  /** Omit the ds:Signature template (an unsigned assertion). */
  unsigned?: boolean;
  /** ID attribute on <Subject>, to sign only that element. */
  subjectId?: string;
  /** With subjectId: put the signature inside <Subject> rather than as a child of <Assertion>. */
  signatureInSubject?: boolean;
  /** Sign with RSA-SHA1 and a SHA-1 digest (what old IdPs still do). */
  sha1?: boolean;
}

function iso(offsetSeconds: number): string {
  return new Date(Date.now() + offsetSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}

/** The XML-DSig template xmlsec1 fills in: enveloped, exclusive c14n, RSA-SHA256, SHA-256. */
export function signatureTemplate(referenceId: string, sha1 = false): string {
  const signatureMethod = sha1
    ? "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    : "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
  const digestMethod = sha1 ? "http://www.w3.org/2000/09/xmldsig#sha1" : "http://www.w3.org/2001/04/xmlenc#sha256";
  return `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="${signatureMethod}"/><ds:Reference URI="#${referenceId}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="${digestMethod}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo></ds:Signature>`;
}

export function assertionXml(options: AssertionOptions): string {
  const id = options.id ?? `_${randomUUID()}`;
  const attributes = Object.entries(options.attributes ?? {})
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${name}">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join("")}</saml:Attribute>`,
    )
    .join("");
  const bearerExpiry = options.bearerExpiresIn === null ? "" : ` NotOnOrAfter="${iso(options.bearerExpiresIn ?? 300)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<saml:Assertion xmlns:saml="${SAML}" ID="${id}" Version="2.0" IssueInstant="${iso(-(options.issuedAgo ?? 0))}">
  <saml:Issuer>${options.issuer}</saml:Issuer>
  ${options.unsigned || options.signatureInSubject ? "" : signatureTemplate(options.subjectId ?? id, options.sha1)}
  <saml:Subject${options.subjectId ? ` ID="${options.subjectId}"` : ""}>
    ${options.subjectId && options.signatureInSubject ? signatureTemplate(options.subjectId) : ""}
    <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${options.nameId ?? "alice@example.com"}</saml:NameID>
    <saml:SubjectConfirmation Method="${options.method ?? BEARER}">
      <saml:SubjectConfirmationData Recipient="${options.recipient}"${bearerExpiry}/>
    </saml:SubjectConfirmation>
  </saml:Subject>
  <saml:Conditions NotBefore="${iso(options.notBeforeIn ?? -5)}" NotOnOrAfter="${iso(options.expiresIn ?? 300)}">
    <saml:AudienceRestriction><saml:Audience>${options.audience}</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AuthnStatement AuthnInstant="${iso(-(options.issuedAgo ?? 0))}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
  <saml:AttributeStatement>${attributes}</saml:AttributeStatement>
</saml:Assertion>
`;
}

/** Signs every ds:Signature template in `xml` with xmlsec1; `idElement` is the element whose ID the reference names. */
export function signWithXmlsec(xml: string, signer: Signer, idElement = "Assertion"): string {
  const input = join(work, `${randomUUID()}.xml`);
  writeFileSync(input, xml);
  try {
    return execFileSync(
      "xmlsec1",
      [
        "--sign",
        "--privkey-pem",
        `${signer.keyPath},${signer.certPath}`,
        "--id-attr:ID",
        `${SAML}:${idElement}`,
        input,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 },
    );
  } finally {
    rmSync(input, { force: true });
  }
}

export function encode(xml: string): string {
  return Buffer.from(xml, "utf8").toString("base64url");
}
