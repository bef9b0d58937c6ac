// RFC 7522 SAML 2.0 bearer grant. Assertions are signed by xmlsec1 (libxmlsec1 over
// OpenSSL, independent of the server's xml-crypto), certificates made by openssl.
// The accepted case first, then every refused input, each with its description.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CompiledIdentityMapping } from "../../../registry/record.ts";
import { basic, clientRecord, post, type Stack, startStack, verifyIndependently } from "../fixtures.ts";
import {
  type AssertionOptions,
  assertionXml,
  encode,
  makeSigner,
  removeSamlWorkDir,
  type Signer,
  signWithXmlsec,
} from "./saml-support.ts";
import { tokenRequest } from "./support.ts";

const GRANT = "urn:ietf:params:oauth:grant-type:saml2-bearer";
const IDP = "https://idp.example/saml";

let stack: Stack;
let idp: Signer;
let previousIdpCert: Signer;
let untrusted: Signer;

before(async () => {
  // The default form body limit (96 KiB): the grant's own 64 KiB limit is the one a client meets.
  stack = await startStack();
  idp = makeSigner("idp");
  previousIdpCert = makeSigner("idp-previous");
  untrusted = makeSigner("attacker");
});
after(async () => {
  await stack?.close();
  removeSamlWorkDir();
});

function mapping(overrides: Partial<CompiledIdentityMapping> = {}): CompiledIdentityMapping {
  return {
    jwtIssuers: [],
    samlIdps: [{ entityId: IDP, certificates: [previousIdpCert.certificate, idp.certificate] }],
    claimMappings: [
      { from: "email", to: "email" },
      { from: "groups", to: "groups" },
    ],
    audiences: [],
    maxAssertionAgeSeconds: 300,
    ...overrides,
  };
}

async function client(overrides: Partial<CompiledIdentityMapping> = {}) {
  const record = clientRecord({ grantTypes: [GRANT], identityMapping: mapping(overrides) });
  await stack.put(record);
  return record;
}

function options(overrides: Partial<AssertionOptions> = {}): AssertionOptions {
  const { tokenEndpoint } = stack.running.server.settings;
  return { issuer: IDP, recipient: tokenEndpoint, audience: tokenEndpoint, ...overrides };
}

function signed(overrides: Partial<AssertionOptions> = {}, signer = idp): string {
  return signWithXmlsec(assertionXml(options(overrides)), signer);
}

async function refused(
  record: { clientId: string; secret: string },
  xml: string,
  description: string | RegExp,
): Promise<void> {
  const result = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: encode(xml) });
  assert.equal(result.status, 400, JSON.stringify(result.body));
  assert.equal(result.body.error, "invalid_grant");
  if (typeof description === "string") assert.equal(result.body.error_description, description);
  else assert.match(String(result.body.error_description), description);
}

async function accepted(record: { clientId: string; secret: string }, xml: string) {
  const result = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: encode(xml) });
  assert.equal(result.status, 200, JSON.stringify(result.body));
  return verifyIndependently(stack, result.body.access_token as string, "https://orders.example");
}

test("an xmlsec1-signed assertion gets a token for its NameID, with mapped attributes", async () => {
  const record = await client();
  const claims = await accepted(
    record,
    signed({ nameId: "alice@example.com", attributes: { email: ["alice@example.com"], groups: ["ops", "dev"] } }),
  );
  assert.equal(claims.sub, "alice@example.com");
  assert.equal(claims.client_id, record.clientId);
  assert.equal(claims.email, "alice@example.com");
  assert.deepEqual(claims.groups, ["ops", "dev"]);
});

test("an assertion of nearly 64 KiB fits the default form body limit and gets a token", async () => {
  const record = await client();
  const xml = signed({ nameId: "alice@example.com", attributes: { email: ["x".repeat(60 * 1024)] } });
  assert.ok(Buffer.byteLength(xml) > 61 * 1024 && Buffer.byteLength(xml) <= 64 * 1024, `${Buffer.byteLength(xml)}`);
  const claims = await accepted(record, xml);
  assert.equal(claims.sub, "alice@example.com");
  assert.equal((claims.email as string).length, 60 * 1024);
});

test("introspection reports the mapped claims of an assertion grant's access token, JWT and opaque", async () => {
  for (const format of ["jwt", "opaque"] as const) {
    const record = clientRecord({
      grantTypes: [GRANT],
      identityMapping: mapping(),
      accessToken: { lifetimeSeconds: 600, format },
    });
    await stack.put(record);
    const xml = signed({ nameId: "alice@example.com", attributes: { email: ["alice@example.com"], groups: ["ops"] } });
    const result = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: encode(xml) });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    const introspected = await post(
      `${stack.url}/oauth2/introspect`,
      `token=${encodeURIComponent(result.body.access_token as string)}`,
      { "content-type": "application/x-www-form-urlencoded", authorization: basic(record.clientId, record.secret) },
    );
    const body = introspected.body as Record<string, unknown>;
    assert.equal(body.active, true, format);
    assert.equal(body.token_type, "Bearer", format);
    assert.equal(body.sub, "alice@example.com", format);
    assert.equal(body.email, "alice@example.com", format);
    assert.equal(body.groups, "ops", format);
  }
});

test("the subject can come from an attribute (subjectAttribute), and the audience may be the issuer", async () => {
  const record = await client({
    samlIdps: [{ entityId: IDP, certificates: [idp.certificate], subjectAttribute: "uid" }],
  });
  const claims = await accepted(record, signed({ audience: stack.url, attributes: { uid: ["u-1234"] } }));
  assert.equal(claims.sub, "u-1234");
  await refused(
    record,
    signed({ attributes: { uid: ["u-1", "u-2"] } }),
    "the assertion has no subject in a single-valued 'uid' attribute",
  );
});

test("unsigned, tampered, and signed by an untrusted certificate (whatever its KeyInfo says): refused", async () => {
  const record = await client();
  await refused(record, assertionXml(options({ unsigned: true })), "the assertion is not signed");
  const tampered = signed({ nameId: "alice@example.com" }).replace("alice@example.com", "admin@example.com");
  await refused(
    record,
    tampered,
    "the assertion's signature does not verify with the identity provider's registered certificates",
  );
  await refused(
    record,
    signed({}, untrusted),
    "the assertion's signature does not verify with the identity provider's registered certificates",
  );
});

test("RSA-SHA1 signatures are refused even when they verify", async () => {
  const record = await client();
  await refused(
    record,
    signed({ sha1: true }),
    "the assertion is signed with an algorithm not accepted here (use RSA-SHA256)",
  );
});

test("an untrusted issuer is refused", async () => {
  const record = await client();
  await refused(
    record,
    signed({ issuer: "https://evil.example/saml" }),
    "the assertion's issuer is not trusted by this client",
  );
});

test("signature wrapping: a signed assertion moved inside an unsigned one is refused", async () => {
  const record = await client();
  const original = signed({ nameId: "alice@example.com" }).replace(/^<\?xml[^>]*>\s*/, "");
  const evil = assertionXml(options({ unsigned: true, nameId: "admin@example.com" }));
  // XSW: the attacker's assertion is the root; the genuine signed one rides along in <Advice>.
  const wrapped = evil.replace("<saml:Conditions", `<saml:Advice>${original}</saml:Advice><saml:Conditions`);
  await refused(record, wrapped, "the document must contain exactly one SAML assertion");
  // XSW variant: the genuine signature moved onto the attacker's assertion, the signed
  // original hidden in the signature's <Object>.
  const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(original)?.[0] as string;
  const withObject = signature.replace(
    "</ds:Signature>",
    `<ds:Object>${original.replace(signature, "")}</ds:Object></ds:Signature>`,
  );
  const moved = evil.replace("<saml:Subject>", `${withObject}<saml:Subject>`);
  await refused(record, moved, "the document must contain exactly one SAML assertion");
});

test("signature wrapping: a second assertion next to the signed one is refused", async () => {
  const record = await client();
  const original = signed().replace(/^<\?xml[^>]*>\s*/, "");
  const second = assertionXml(options({ unsigned: true, nameId: "admin@example.com" })).replace(/^<\?xml[^>]*>\s*/, "");
  await refused(
    record,
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${original}${second}</samlp:Response>`,
    "the assertion must be a SAML 2.0 <Assertion> element",
  );
  // The second assertion inside the signed one: the signature breaks, and the shape check refuses it first.
  const nested = original.replace("<saml:Conditions", `<saml:Advice>${second}</saml:Advice><saml:Conditions`);
  await refused(record, nested, "the document must contain exactly one SAML assertion");
});

test("a signature over only part of the assertion (its Subject) does not make the assertion signed", async () => {
  const record = await client();
  // xmlsec1 calls both of these valid signatures; the audience and conditions are unsigned.
  const fromAssertion = signWithXmlsec(assertionXml(options({ subjectId: "_subject1" })), idp, "Subject");
  await refused(
    record,
    fromAssertion,
    "the assertion's signature does not cover the assertion (its reference is another element)",
  );
  const inSubject = signWithXmlsec(
    assertionXml(options({ subjectId: "_subject2", signatureInSubject: true })),
    idp,
    "Subject",
  );
  await refused(
    record,
    inSubject,
    "the assertion must carry exactly one enveloped signature, as a child of <Assertion>",
  );
});

test("a comment inside the NameID (comment truncation) never yields the truncated subject", async () => {
  // The IdP signed "alice@example.com.evil.example"; exclusive c14n drops comments, so
  // the signature still verifies after one is inserted. The subject must stay the full text.
  const xml = signed({ nameId: "alice@example.com.evil.example" }).replace(
    "alice@example.com.evil.example",
    "alice@example.com<!---->.evil.example",
  );
  const strict = await client({
    samlIdps: mapping().samlIdps.map((entry) => ({ ...entry, allowedSubjects: ["alice@example.com"] })),
  });
  await refused(strict, xml, "the assertion's subject is not allowed for this client");
  const open = await client();
  const claims = await accepted(open, xml);
  assert.equal(claims.sub, "alice@example.com.evil.example");
});

test("wrong audience, wrong recipient, no bearer confirmation: refused", async () => {
  const record = await client();
  const { tokenEndpoint } = stack.running.server.settings;
  await refused(
    record,
    signed({ audience: "https://other-sp.example" }),
    `the assertion's <AudienceRestriction> must name this server: ${tokenEndpoint} or ${stack.url}`,
  );
  await refused(
    record,
    signed({ recipient: "https://other-sp.example/acs" }),
    `the bearer <SubjectConfirmationData> Recipient must be ${tokenEndpoint}`,
  );
  await refused(
    record,
    signed({ method: "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key" }),
    "the assertion needs a <SubjectConfirmation Method='urn:oasis:names:tc:SAML:2.0:cm:bearer'>",
  );
  await refused(
    record,
    signed({ bearerExpiresIn: null }),
    "the bearer <SubjectConfirmationData> must have a NotOnOrAfter",
  );
});

test("expired, not yet valid, too old: refused", async () => {
  const record = await client();
  await refused(
    record,
    signed({ expiresIn: -120, bearerExpiresIn: 300 }),
    "the assertion has expired (Conditions NotOnOrAfter)",
  );
  await refused(
    record,
    signed({ bearerExpiresIn: -120 }),
    "the assertion's bearer confirmation has expired or is not valid yet",
  );
  await refused(record, signed({ notBeforeIn: 600 }), "the assertion is not valid yet (Conditions NotBefore)");
  await refused(
    record,
    signed({ issuedAgo: 900 }),
    "the assertion is older than 300 seconds (by its IssueInstant); request a fresh one",
  );
});

test("a replayed assertion ID is refused", async () => {
  const record = await client();
  const xml = signed();
  await accepted(record, xml);
  await refused(record, xml, "the assertion was already used");
});

test("a DTD, with or without an external entity, is refused before parsing", async () => {
  const record = await client();
  const xml = signed();
  const withEntity = xml.replace(
    /^<\?xml[^>]*>/,
    '<?xml version="1.0"?><!DOCTYPE saml:Assertion [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
  );
  await refused(
    record,
    withEntity.replace("alice@example.com", "&xxe;"),
    "the assertion must not contain a DTD (DOCTYPE or ENTITY declarations)",
  );
  const laughs = xml.replace(
    /^<\?xml[^>]*>/,
    '<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
  );
  await refused(record, laughs, "the assertion must not contain a DTD (DOCTYPE or ENTITY declarations)");
});

test("oversized, not base64url, not XML: refused with what to fix", async () => {
  const record = await client();
  // Over the grant's 64 KiB, still under the default form body limit: the grant's own answer.
  const big = signed({ attributes: { padding: ["x".repeat(66 * 1024)] } });
  assert.ok(encode(big).length < 96 * 1024 - 200, `${encode(big).length}`);
  await refused(record, big, "the assertion is larger than 65536 bytes");
  const standardBase64 = Buffer.from(`${signed()}??>>`).toString("base64");
  const result = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: standardBase64 });
  assert.equal(result.status, 400);
  assert.equal(
    result.body.error_description,
    "the assertion must be base64url-encoded without line breaks (RFC 7522 section 2.1)",
  );
  await refused(record, "<saml:Assertion", "the assertion is not well-formed XML");
});

test("a body over the default form limit (96 KiB) is refused with 413 before the grant reads it", async () => {
  const record = await client();
  const result = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: "A".repeat(96 * 1024) });
  assert.equal(result.status, 413);
  assert.deepEqual(result.body, {
    error: "invalid_request",
    error_description: "the request body is larger than 98304 bytes",
  });
});
