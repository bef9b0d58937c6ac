// Redirect URI matching (RFC 6749 §3.1.2.3, RFC 9700 §2.1, RFC 8252 §7.3): the
// requested URI must be, character for character, one the client registered. The one
// exception is the port of a loopback IP literal redirect (http://127.0.0.1 or
// http://[::1]): a native app listens on whatever port the OS gives it, so any port
// is accepted there and nothing else may differ. `localhost` is not loopback here: a
// name can resolve anywhere (RFC 8252 §8.3), so it is matched exactly.

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]"]);

/** The registered URI the request matches, or undefined (then no redirect may ever happen). */
export function matchRedirectUri(registered: readonly string[], requested: string): string | undefined {
  if (registered.includes(requested)) return requested;
  const loopback = loopbackParts(requested);
  if (!loopback) return undefined;
  return registered.find((candidate) => {
    const other = loopbackParts(candidate);
    return other !== undefined && other.withoutPort === loopback.withoutPort;
  });
}

/**
 * For an http URI on a loopback IP literal written in its canonical form (what URL
 * serializes it to, so no encoding trick can make two different strings compare
 * equal), the URI with its port removed; otherwise undefined.
 */
function loopbackParts(uri: string): { withoutPort: string } | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" || !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (url.username !== "" || url.password !== "" || url.hash !== "" || uri.includes("#")) return undefined;
  if (url.href !== uri) return undefined;
  url.port = "";
  return { withoutPort: url.href };
}

/** Whether a URI may be used as a redirect at all: absolute, no fragment (RFC 6749 §3.1.2). */
export function isAbsoluteWithoutFragment(uri: string): boolean {
  if (uri.includes("#")) return false;
  try {
    new URL(uri);
    return true;
  } catch {
    return false;
  }
}
