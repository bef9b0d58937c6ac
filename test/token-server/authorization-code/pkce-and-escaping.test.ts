// Pure parts: S256 against RFC 7636 appendix B's example, and the pages' escaping of
// everything a registration or a request can put in them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CODE_CHALLENGE, CODE_VERIFIER, s256, verifierMatches } from "../../../token-server/authorize/pkce.ts";
import { consentPage } from "../../../token-server/pages/consent-page.ts";
import { escapeHtml } from "../../../token-server/pages/html.ts";
import { loginPage } from "../../../token-server/pages/login-page.ts";

test("S256 as RFC 7636 appendix B computes it; verifier and challenge shapes", () => {
  const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  assert.equal(s256(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  assert.equal(verifierMatches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), true);
  assert.equal(verifierMatches(`${verifier}x`, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), false);
  assert.equal(verifierMatches(verifier, "short"), false);
  assert.ok(CODE_VERIFIER.test("a".repeat(43)) && CODE_VERIFIER.test("~._-".repeat(32)));
  assert.ok(
    !CODE_VERIFIER.test("a".repeat(42)) &&
      !CODE_VERIFIER.test("a".repeat(129)) &&
      !CODE_VERIFIER.test(`${"a".repeat(42)}+`),
  );
  assert.ok(CODE_CHALLENGE.test(s256(verifier)) && !CODE_CHALLENGE.test(`${s256(verifier)}=`));
});

test("names, scopes, usernames and tokens are escaped in the pages", () => {
  const evil = `<img src=x onerror="alert(1)">'&`;
  assert.equal(escapeHtml(evil), "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;");
  const everyField = { base: "", clientName: evil, destination: evil, requestId: evil, csrf: evil, username: evil };
  const login = loginPage({ ...everyField, error: evil });
  const consent = consentPage({ ...everyField, scope: [evil], audience: [evil] });
  for (const page of [login, consent]) {
    assert.ok(!page.includes("<img"), "no markup from data");
    assert.ok(!page.includes('onerror="'), "no attribute breakout");
    assert.ok(page.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;"));
  }
});
