// Redirect URI matching (RFC 6749 §3.1.2.3, RFC 8252 §7.3), as a table.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isAbsoluteWithoutFragment, matchRedirectUri } from "../../../token-server/authorize/redirect-uri.ts";

const registered = [
  "https://app.example/cb",
  "http://127.0.0.1/native/cb",
  "http://[::1]:8080/cb",
  "http://localhost:3000/cb",
  "com.example.app:/oauth",
];

const cases: [string, string, string | undefined][] = [
  ["exact https match", "https://app.example/cb", "https://app.example/cb"],
  ["trailing slash differs", "https://app.example/cb/", undefined],
  ["case of the path differs", "https://app.example/CB", undefined],
  ["extra query", "https://app.example/cb?x=1", undefined],
  ["a fragment", "https://app.example/cb#x", undefined],
  ["IPv4 loopback, any port", "http://127.0.0.1:51234/native/cb", "http://127.0.0.1/native/cb"],
  ["IPv4 loopback, no port", "http://127.0.0.1/native/cb", "http://127.0.0.1/native/cb"],
  ["IPv4 loopback, other path", "http://127.0.0.1:51234/other", undefined],
  ["IPv6 loopback, other port", "http://[::1]:9999/cb", "http://[::1]:8080/cb"],
  ["loopback over https is not the exception", "https://127.0.0.1:5000/native/cb", undefined],
  ["loopback with user info", "http://u@127.0.0.1:5000/native/cb", undefined],
  ["loopback in a non-canonical form", "http://127.0.0.1:5000/native/./cb", undefined],
  ["localhost is matched exactly", "http://localhost:3000/cb", "http://localhost:3000/cb"],
  ["localhost on another port is not loopback", "http://localhost:3001/cb", undefined],
  ["private-use scheme, exact", "com.example.app:/oauth", "com.example.app:/oauth"],
  ["private-use scheme, other path", "com.example.app:/other", undefined],
  ["not a URI", "not a uri", undefined],
];

for (const [name, requested, expected] of cases)
  test(`redirect URI: ${name}`, () => {
    assert.equal(matchRedirectUri(registered, requested), expected);
  });

const shapes: [string, boolean][] = [
  ["https://app.example/cb", true],
  ["com.example.app:/oauth", true],
  ["/relative", false],
  ["https://app.example/cb#frag", false],
];
for (const [uri, expected] of shapes)
  test(`redirect URI shape: ${uri}`, () => assert.equal(isAbsoluteWithoutFragment(uri), expected));
