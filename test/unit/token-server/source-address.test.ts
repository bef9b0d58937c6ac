// Which address a request comes from, for lock-outs keyed by source
// (token-server/source-address.ts): X-Forwarded-For counts only from trusted proxies.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../../token-server/config.ts";
import { TrustedProxies } from "../../../token-server/source-address.ts";

const proxies = new TrustedProxies(["10.0.0.0/8", "fd00::/8", "192.0.2.1"]);

const cases: [string, string | undefined, string | undefined, string][] = [
  ["no proxy configured: the peer, header ignored", "203.0.113.9", "1.2.3.4", "203.0.113.9"],
  ["untrusted peer: the header is ignored", "198.51.100.1", "1.2.3.4", "198.51.100.1"],
  ["trusted peer, one hop", "10.1.2.3", "1.2.3.4", "1.2.3.4"],
  ["trusted chain: the first untrusted from the right", "10.1.2.3", "6.6.6.6, 1.2.3.4, 10.9.9.9", "1.2.3.4"],
  ["a spoofed leftmost entry does not win", "10.1.2.3", "127.0.0.1, 5.6.7.8", "5.6.7.8"],
  ["trusted peer without header", "10.1.2.3", undefined, "10.1.2.3"],
  ["all hops trusted: the leftmost", "10.1.2.3", "10.0.0.7, 192.0.2.1", "10.0.0.7"],
  ["a hop that is no address ends the chain", "10.1.2.3", "1.2.3.4, garbage, 10.0.0.9", "10.0.0.9"],
  ["IPv4-mapped IPv6 peer", "::ffff:10.1.2.3", "1.2.3.4", "1.2.3.4"],
  ["IPv6 trusted proxy", "fd00::1", "2001:db8::5", "2001:db8::5"],
  ["single trusted address", "192.0.2.1", "1.2.3.4", "1.2.3.4"],
  ["no peer at all", undefined, "1.2.3.4", "unknown"],
];

for (const [name, peer, header, expected] of cases)
  test(`source address: ${name}`, () => {
    const list = name.startsWith("no proxy") ? new TrustedProxies([]) : proxies;
    assert.equal(list.sourceOf(peer, header), expected);
  });

test("--trusted-proxies / TOLLGATE_TRUSTED_PROXIES: a comma-separated list, checked at start", () => {
  assert.deepEqual(loadConfig(["--standalone", "--trusted-proxies", "10.0.0.0/8, fd00::/8"]).trustedProxies, [
    "10.0.0.0/8",
    "fd00::/8",
  ]);
  assert.deepEqual(loadConfig(["--standalone"], { TOLLGATE_TRUSTED_PROXIES: "192.0.2.1" }).trustedProxies, [
    "192.0.2.1",
  ]);
  assert.deepEqual(loadConfig(["--standalone"], {}).trustedProxies, []);
  assert.throws(() => loadConfig(["--standalone", "--trusted-proxies", "10.0.0.0/33"]), /invalid prefix/);
  assert.throws(() => loadConfig(["--standalone", "--trusted-proxies", "proxy.example"]), /not an IP address/);
});
