// Strict XML parsing with @xmldom/xmldom: any warning or error stops the parse, and a
// document with a DTD, a processing instruction beyond the XML declaration, or no
// root element is refused. Callers have already refused "<!DOCTYPE" in the text
// (decode-assertion.ts); the DocumentType check here keeps that true for any input.
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";

export class XmlError extends Error {
  override readonly name = "XmlError";
}

export function parseXml(xml: string): { doc: Document; root: Element } {
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        throw new XmlError(`${level}: ${message}`);
      },
    }).parseFromString(xml, "application/xml");
  } catch (error) {
    throw new XmlError(error instanceof Error ? error.message : String(error));
  }
  for (let node = doc.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.DOCUMENT_TYPE_NODE) throw new XmlError("a DTD is not allowed");
    if (node.nodeType === node.PROCESSING_INSTRUCTION_NODE && node.nodeName !== "xml")
      throw new XmlError("processing instructions are not allowed");
  }
  const root = doc.documentElement;
  if (!root) throw new XmlError("no root element");
  return { doc, root };
}
