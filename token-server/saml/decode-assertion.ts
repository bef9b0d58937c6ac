// The `assertion` parameter of the SAML 2.0 bearer grant (RFC 7522 §2.1): one SAML
// Assertion, base64url-encoded without line breaks (padding tolerated). Bounded before
// anything is decoded, and refused when it declares a DTD: entity expansion ("billion
// laughs") and external entities need one, and a SAML assertion never has one.
import { InvalidGrant } from "../errors.ts";
import { checkShapeBounds } from "./shape-bounds.ts";

/** Largest accepted decoded assertion: a signed assertion with a certificate and many attributes is ~10 KiB. */
export const MAX_ASSERTION_BYTES = 64 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

export function decodeAssertion(encoded: string): string {
  if (encoded.length > Math.ceil((MAX_ASSERTION_BYTES * 4) / 3) + 2)
    throw new InvalidGrant(`the assertion is larger than ${MAX_ASSERTION_BYTES} bytes`);
  if (!BASE64URL.test(encoded))
    throw new InvalidGrant("the assertion must be base64url-encoded without line breaks (RFC 7522 §2.1)");
  const bytes = Buffer.from(encoded, "base64url");
  if (bytes.length > MAX_ASSERTION_BYTES)
    throw new InvalidGrant(`the assertion is larger than ${MAX_ASSERTION_BYTES} bytes`);
  let xml: string;
  try {
    xml = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidGrant("the assertion is not UTF-8 XML");
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(xml))
    throw new InvalidGrant("the assertion must not contain a DTD (DOCTYPE or ENTITY declarations)");
  checkShapeBounds(xml);
  return xml;
}
