// The address a request comes from, for keying lock-outs by source. The peer address
// of the connection, unless that peer is a configured trusted proxy
// (--trusted-proxies): then X-Forwarded-For is read from the right, skipping trusted
// proxies, and the first address not among them is the source. A header from anyone
// else is ignored: otherwise an attacker would name a fresh "source" with every
// guess, and spread its failures thin enough never to be locked.
import { BlockList, isIP } from "node:net";
import type { ParameterizedContext } from "koa";

/** The source of a request to any endpoint (the token endpoint's, the login page's). */
export function sourceAddress(ctx: ParameterizedContext<{ server: { proxies: TrustedProxies } }>): string {
  return ctx.state.server.proxies.sourceOf(ctx.req.socket.remoteAddress, ctx.get("x-forwarded-for"));
}

export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /** CIDRs ("10.0.0.0/8", "fd00::/8") or single addresses. Throws on anything else. */
  constructor(cidrs: readonly string[]) {
    this.#empty = cidrs.length === 0;
    for (const cidr of cidrs) {
      const [address = "", prefix] = cidr.trim().split("/");
      const family = isIP(address);
      if (family === 0) throw new Error(`trusted proxy "${cidr}" is not an IP address or CIDR`);
      const type = family === 4 ? "ipv4" : "ipv6";
      if (prefix === undefined) {
        this.#list.addAddress(address, type);
        continue;
      }
      const bits = Number(prefix);
      if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128))
        throw new Error(`trusted proxy "${cidr}" has an invalid prefix length`);
      this.#list.addSubnet(address, bits, type);
    }
  }

  /** The request's source: the peer, or what a trusted peer says it forwarded for. */
  sourceOf(peer: string | undefined, forwardedFor: string | undefined): string {
    let source = normalise(peer ?? "") || "unknown";
    if (this.#empty || !forwardedFor || !this.#trusted(source)) return source;
    const hops = forwardedFor.split(",").map((hop) => normalise(hop.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      // A hop that is no address ends the chain: the last address vouched for stands.
      if (isIP(hop) === 0) return source;
      source = hop;
      if (!this.#trusted(hop)) return hop;
    }
    return source;
  }

  #trusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.#list.check(address, family === 4 ? "ipv4" : "ipv6");
  }
}

/** An IPv4 peer of a dual-stack socket ("::ffff:10.0.0.1") counts as its IPv4 address. */
function normalise(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? (mapped[1] as string) : address;
}
