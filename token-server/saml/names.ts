// XML namespaces and fixed URIs of SAML 2.0 (OASIS saml-core-2.0-os) and XML-DSig.
export const SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
export const DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";
export const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/** Signature algorithms accepted: RSA with SHA-256 or SHA-512 (no SHA-1, no HMAC). */
export const SIGNATURE_ALGORITHMS = new Set([
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
]);
export const DIGEST_ALGORITHMS = new Set([
  "http://www.w3.org/2001/04/xmlenc#sha256",
  "http://www.w3.org/2001/04/xmlenc#sha512",
]);
/** The transforms a SAML assertion signature uses (saml-core §5.4.3, §5.4.4). */
export const TRANSFORMS = new Set([
  "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
  "http://www.w3.org/2001/10/xml-exc-c14n#",
  "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
]);
