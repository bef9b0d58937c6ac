// The XML signature of a SAML assertion, verified with xml-crypto against the IdP's
// registered certificates only (KeyInfo in the document is never trusted), and made
// immune to signature wrapping by construction:
//   - the document's root is the one and only saml:Assertion in it;
//   - it holds the one and only ds:Signature in the document, as a direct child
//     (enveloped), with exactly one Reference, whose URI is "#" + that Assertion's ID;
//   - the algorithms are on fixed allow-lists (RSA-SHA256/512, SHA-256/512, enveloped
//     and exclusive c14n);
//   - what the caller reads is the canonical XML that xml-crypto digested for that
//     Reference (getSignedReferences), parsed again: never a node of the presented
//     document, so nothing unsigned (a moved element, a comment splitting a NameID's
//     text, a second assertion) can be read as if it were signed.
import type { Element } from "@xmldom/xmldom";
import { SignedXml } from "xml-crypto";
import { InvalidGrant } from "../errors.ts";
import { DIGEST_ALGORITHMS, DSIG_NS, SAML_NS, SIGNATURE_ALGORITHMS, TRANSFORMS } from "./names.ts";
import { parseXml, type XmlError } from "./parse-xml.ts";

const XML_ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Checks the shape of the presented document; returns its Assertion element and the Signature in it. */
export function signedShape(root: Element): { id: string; signature: Element } {
  if (root.namespaceURI !== SAML_NS || root.localName !== "Assertion")
    throw new InvalidGrant("the assertion must be a SAML 2.0 <Assertion> element");
  const doc = root.ownerDocument;
  if (!doc) throw new InvalidGrant("the assertion is not an XML document");
  if (doc.getElementsByTagNameNS(SAML_NS, "Assertion").length !== 1)
    throw new InvalidGrant("the document must contain exactly one SAML assertion");
  const id = root.getAttribute("ID") ?? "";
  if (!XML_ID.test(id)) throw new InvalidGrant("the assertion has no valid ID attribute");
  const signatures = doc.getElementsByTagNameNS(DSIG_NS, "Signature");
  if (signatures.length === 0) throw new InvalidGrant("the assertion is not signed");
  const signature = signatures.item(0) as Element;
  if (signatures.length > 1 || signature.parentNode !== root)
    throw new InvalidGrant("the assertion must carry exactly one enveloped signature, as a child of <Assertion>");
  return { id, signature };
}

/**
 * Verifies the signature with each certificate in turn; returns the signed Assertion,
 * re-parsed from its canonical form. Throws InvalidGrant when no certificate verifies it.
 */
export function verifySignedAssertion(xml: string, root: Element, certificates: string[]): Element {
  const { id, signature } = signedShape(root);
  const failures: string[] = [];
  for (const certificate of certificates) {
    const verifier = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null });
    let valid = false;
    try {
      verifier.loadSignature(signature as unknown as Parameters<SignedXml["loadSignature"]>[0]);
      valid = verifier.checkSignature(xml);
    } catch (error) {
      failures.push((error as Error).message);
      continue;
    }
    if (!valid) {
      failures.push("signature does not verify with this certificate");
      continue;
    }
    return signedAssertion(verifier, id);
  }
  throw new InvalidGrant(
    "the assertion's signature does not verify with the identity provider's registered certificates",
    failures.join("; ").slice(0, 500),
  );
}

function signedAssertion(verifier: SignedXml, id: string): Element {
  const references = verifier.getReferences();
  const signed = verifier.getSignedReferences();
  if (references.length !== 1 || signed.length !== 1)
    throw new InvalidGrant("the assertion's signature must have exactly one reference, to the assertion");
  const [reference] = references as [(typeof references)[number]];
  if (reference.uri !== `#${id}`)
    throw new InvalidGrant("the assertion's signature does not cover the assertion (its reference is another element)");
  if (!SIGNATURE_ALGORITHMS.has(verifier.signatureAlgorithm ?? ""))
    throw new InvalidGrant("the assertion is signed with an algorithm not accepted here (use RSA-SHA256)");
  if (!DIGEST_ALGORITHMS.has(reference.digestAlgorithm))
    throw new InvalidGrant("the assertion's digest algorithm is not accepted here (use SHA-256)");
  if (reference.transforms.some((transform) => !TRANSFORMS.has(transform)))
    throw new InvalidGrant("the assertion's signature uses a transform not accepted here");
  let root: Element;
  try {
    ({ root } = parseXml(signed[0] as string));
  } catch (error) {
    throw new InvalidGrant("the signed assertion could not be read", (error as XmlError).message);
  }
  if (root.namespaceURI !== SAML_NS || root.localName !== "Assertion" || root.getAttribute("ID") !== id)
    throw new InvalidGrant("the assertion's signature does not cover the assertion");
  return root;
}
