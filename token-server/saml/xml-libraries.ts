// The steps of saml/ that need the XML libraries (@xmldom/xmldom, and xml-crypto with its
// xpath): imported on the first SAML bearer request (grants/saml2-bearer.ts), so a token
// server whose clients never send one does not hold them in memory.
export { parseXml } from "./parse-xml.ts";
export { signedShape, verifySignedAssertion } from "./verify-signature.ts";
