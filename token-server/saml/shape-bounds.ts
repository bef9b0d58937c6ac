// Bounds on an XML document's shape, checked on the text before it is parsed: parsing
// and canonicalising cost time in proportion to the elements and their nesting, and a
// 64 KiB document of ten thousand nested elements costs a few hundred milliseconds of
// CPU before its signature can fail. A SAML assertion is a handful of levels deep
// (Assertion > AttributeStatement > Attribute > AttributeValue; Signature > SignedInfo >
// Reference > Transforms > Transform) and has tens of elements, a few hundred with many
// attributes. One linear pass over the text: comments, CDATA and processing
// instructions are skipped, quoted attribute values may hold ">", and anything
// malformed is left for the strict parser to refuse.
import { InvalidGrant } from "../errors.ts";

export const MAX_XML_DEPTH = 24;
export const MAX_XML_ELEMENTS = 2000;

export function checkShapeBounds(xml: string): void {
  let depth = 0;
  let elements = 0;
  let at = xml.indexOf("<");
  while (at !== -1) {
    const next = xml[at + 1];
    let end: number;
    if (xml.startsWith("<!--", at)) end = endOf(xml, "-->", at);
    else if (xml.startsWith("<![CDATA[", at)) end = endOf(xml, "]]>", at);
    else if (next === "?") end = endOf(xml, "?>", at);
    else if (next === "/") {
      depth -= 1;
      end = endOf(xml, ">", at);
    } else {
      end = tagEnd(xml, at);
      elements += 1;
      if (xml[end - 1] !== "/") depth += 1;
      if (elements > MAX_XML_ELEMENTS)
        throw new InvalidGrant(`the assertion has more than ${MAX_XML_ELEMENTS} XML elements`);
      if (depth > MAX_XML_DEPTH)
        throw new InvalidGrant(`the assertion nests XML elements more than ${MAX_XML_DEPTH} levels deep`);
    }
    if (end === -1) return;
    at = xml.indexOf("<", end);
  }
}

function endOf(xml: string, marker: string, from: number): number {
  const found = xml.indexOf(marker, from + 1);
  return found === -1 ? -1 : found + marker.length - 1;
}

/** The index of the ">" closing a start tag, skipping quoted attribute values; -1 when there is none. */
function tagEnd(xml: string, from: number): number {
  let quote: string | undefined;
  for (let i = from + 1; i < xml.length; i++) {
    const c = xml[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ">") return i;
  }
  return -1;
}
