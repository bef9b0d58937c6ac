// The leak check finds each credential shape and each noted value, and passes clean lines.
import assert from "node:assert/strict";
import { test } from "node:test";
import { findLeaks } from "../log-leak/leaks.ts";

const cases: [string, string, string | undefined][] = [
  ["access token", `{"msg":"issued","token":"tgat_${"a".repeat(43)}"}`, "Tollgate token, code or client secret"],
  ["client secret", `secret=tgcs_${"b".repeat(43)}`, "Tollgate token, code or client secret"],
  ["authorization code", `/cb?code=tgac_${"c".repeat(43)}&state=x`, "Tollgate token, code or client secret"],
  ["registration access token", `{"registration":"tgra_${"d".repeat(43)}"}`, "Tollgate token, code or client secret"],
  ["JWT", "assertion eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln", "JWT (token or assertion)"],
  ["Basic header", "authorization: Basic b3JkZXJzOnMzY3JldA==", "Basic credentials"],
  ["Bearer header", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "Bearer token"],
  ["session cookie", `cookie: tollgate-session=${"d".repeat(43)}`, "session cookie"],
  ["SAML, raw", '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">', "SAML assertion"],
  ["SAML, base64", Buffer.from("<saml2:Assertion ID=").toString("base64"), "SAML assertion"],
  ["PEM key", "-----BEGIN PRIVATE KEY-----", "private key"],
  ["JWK private part", `{"kty":"EC","d":"${"e".repeat(43)}"}`, "private key"],
  ["noted password", '{"detail":"user alice with correct horse battery staple"}', "credential the suite used"],
  ["a redacted field", '{"client_secret":"[redacted]","secretName":"orders-oauth-client"}', undefined],
  ["a token endpoint URL and a kid", '{"url":"https://a/oauth2/token","kid":"Zm9vYmFyYmF6"}', undefined],
  ["a short Basic realm", 'WWW-Authenticate: Basic realm="tollgate"', undefined],
  [
    "an error message naming the element",
    '{"detail":"the assertion must be a SAML 2.0 <Assertion> element"}',
    undefined,
  ],
  ["the standalone banner's secret line", `  client_secret: tgcs_${"f".repeat(43)}`, undefined],
  [
    "the same secret in a JSON log line",
    `{"msg":"x","note":"tgcs_${"f".repeat(43)}"}`,
    "Tollgate token, code or client secret",
  ],
];

for (const [name, line, kind] of cases)
  test(`log-leak: ${name}`, () => {
    const leaks = findLeaks("x.log", line, ["correct horse battery staple"]);
    assert.deepEqual(
      leaks.map((l) => l.kind),
      kind ? [kind] : [],
    );
  });
