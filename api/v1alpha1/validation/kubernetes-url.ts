// The Kubernetes CEL URL library (k8s.io/apiserver/pkg/cel/library/urls.go) as the
// CRD's rules use it: isURL(string), url(string), <url>.getHostname(). Kubernetes
// builds these on Go's url.ParseRequestURI, so this follows that parser's rules for
// what the CRD needs: an absolute URI or an absolute path, control characters refused,
// the authority parsed only after a scheme, a port of digits, host characters and
// percent-escapes checked as Go checks them. A URL value is carried as its string (a
// CEL string), since getHostname is the only thing the rules ask of it.
import { CelScalar, celFunc, celMethod } from "@bufbuild/cel";

interface ParsedUrl {
  hostname: string;
}

/** Go's url.ParseRequestURI, reduced to success and the hostname; undefined when Go returns an error. */
export function parseRequestUri(raw: string): ParsedUrl | undefined {
  if (raw === "" || hasControlCharacter(raw)) return undefined;
  let rest = raw;
  let scheme = "";
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (schemeMatch) {
    scheme = (schemeMatch[1] as string).toLowerCase();
    rest = rest.slice(schemeMatch[0].length);
  } else if (rest.startsWith(":")) return undefined; // "missing protocol scheme"
  const query = rest.indexOf("?");
  if (query !== -1) rest = rest.slice(0, query);
  if (!rest.startsWith("/")) return scheme !== "" ? { hostname: "" } : undefined; // opaque, or "invalid URI for request"
  let hostname = "";
  if (scheme !== "" && rest.startsWith("//")) {
    const afterSlashes = rest.slice(2);
    const slash = afterSlashes.indexOf("/");
    const authority = slash === -1 ? afterSlashes : afterSlashes.slice(0, slash);
    rest = slash === -1 ? "" : afterSlashes.slice(slash);
    const at = authority.lastIndexOf("@");
    if (at !== -1 && !validUserinfo(authority.slice(0, at))) return undefined;
    const host = parseHost(at === -1 ? authority : authority.slice(at + 1));
    if (host === undefined) return undefined;
    hostname = host;
  }
  if (!validEscapes(rest)) return undefined;
  return { hostname };
}

/** Go's parseHost: the hostname without port (and without brackets for IPv6); undefined on error. */
function parseHost(host: string): string | undefined {
  let name: string;
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close === -1) return undefined;
    if (!validOptionalPort(host.slice(close + 1))) return undefined;
    name = host.slice(1, close);
    const zone = name.indexOf("%25");
    if (
      !validEscapes(zone === -1 ? name : name.slice(0, zone)) ||
      !/^[0-9A-Fa-f:.]*$/.test(zone === -1 ? name : name.slice(0, zone))
    )
      return undefined;
    return name;
  }
  const colon = host.lastIndexOf(":");
  if (colon !== -1) {
    if (!validOptionalPort(host.slice(colon))) return undefined;
    name = host.slice(0, colon);
  } else name = host;
  // Go's unescape in host mode: escapes must be well-formed, and no character that must be escaped in a host.
  if (!validEscapes(host)) return undefined;
  for (const c of host) if (c.charCodeAt(0) < 0x80 && !HOST_CHAR.test(c) && c !== "%") return undefined;
  return decodeURIComponentSafe(name);
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const HOST_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]/;

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

function validUserinfo(userinfo: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo);
}

function validEscapes(text: string): boolean {
  for (let i = text.indexOf("%"); i !== -1; i = text.indexOf("%", i + 1))
    if (!/^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) return false;
  return true;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseOrThrow(raw: string): ParsedUrl {
  const parsed = parseRequestUri(raw);
  if (!parsed) throw new Error(`URL parse error during conversion from string: ${raw}`);
  return parsed;
}

export const kubernetesUrlFunctions = [
  celFunc("isURL", [CelScalar.STRING], CelScalar.BOOL, (raw) => parseRequestUri(raw) !== undefined),
  celFunc("url", [CelScalar.STRING], CelScalar.STRING, (raw) => {
    parseOrThrow(raw);
    return raw;
  }),
  celMethod("getHostname", CelScalar.STRING, [], CelScalar.STRING, function (this: string) {
    return parseOrThrow(this).hostname;
  }),
];
