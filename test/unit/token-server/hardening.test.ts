// Smaller refusals (docs/token-server.md, docs/identity-grants.md): discovery lists
// exactly the client-assertion algorithms that authenticate; the password and assertion
// grants refuse a public client themselves; JSON bodies carry nosniff; a dead token
// answers 200 at revocation whoever presents it; a SAML document too deep or too large
// is refused before it is parsed.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { InvalidGrant } from "../../../token-server/errors.ts";
import { decodeAssertion } from "../../../token-server/saml/decode-assertion.ts";
import { basicAuth, mapping, record, userLine } from "../support/records.ts";
import { postForm, startUnitStack, type UnitStack } from "../support/token-server.ts";

let stack: UnitStack;
before(async () => {
  stack = await startUnitStack();
});
after(async () => {
  await stack.close();
});

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

test("discovery lists every client-assertion algorithm that authenticates, and only those", async () => {
  const metadata = (await (await fetch(`${stack.url}/.well-known/oauth-authorization-server`)).json()) as Record<
    string,
    string[]
  >;
  const advertised = metadata.token_endpoint_auth_signing_alg_values_supported as string[];
  assert.deepEqual(metadata.introspection_endpoint_auth_signing_alg_values_supported, advertised);
  assert.deepEqual(metadata.revocation_endpoint_auth_signing_alg_values_supported, advertised);
  const candidates = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
  for (const alg of candidates) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const client = record({
      tokenEndpointAuthMethod: "private_key_jwt",
      secrets: [],
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: "k", alg }] },
    });
    await stack.put(client);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg, kid: "k" })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(stack.url)
      .setExpirationTime("1m")
      .sign(privateKey);
    const answer = await postForm(`${stack.url}/oauth2/token`, {
      grant_type: "client_credentials",
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
    });
    assert.equal(
      answer.status === 200,
      advertised.includes(alg),
      `${alg}: ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  }
});

test("the password and assertion grants refuse a public client themselves (a record that bypassed admission)", async () => {
  const client = record({
    clientType: "public",
    tokenEndpointAuthMethod: "none",
    secrets: [],
    grantTypes: ["password", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
    identityMapping: mapping({ users: [userLine("alice", "pw")] }),
  });
  await stack.put(client);
  const forms: Record<string, string>[] = [
    { grant_type: "password", username: "alice", password: "pw" },
    { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "a.b.c" },
  ];
  for (const form of forms) {
    const answer = await postForm(`${stack.url}/oauth2/token`, { ...form, client_id: client.clientId });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(answer.body.error, "unauthorized_client");
  }
});

test("JSON answers, errors included, carry X-Content-Type-Options: nosniff", async () => {
  const client = record();
  await stack.put(client);
  const ok = await postForm(
    `${stack.url}/oauth2/token`,
    { grant_type: "client_credentials" },
    basicAuth(client.clientId),
  );
  const refused = await postForm(`${stack.url}/oauth2/token`, { grant_type: "nope" }, basicAuth(client.clientId));
  const introspected = await postForm(`${stack.url}/oauth2/introspect`, { token: "x" }, basicAuth(client.clientId));
  for (const answer of [ok, refused, introspected])
    assert.equal(answer.headers.get("x-content-type-options"), "nosniff");
});

test("revocation: another client's dead refresh token answers 200 (RFC 7009 §2.2), a live one is refused", async () => {
  const owner = record({
    grantTypes: ["password", "refresh_token"],
    identityMapping: mapping({ users: [userLine("alice", "pw")] }),
  });
  const other = record();
  await stack.put(owner);
  await stack.put(other);
  const signIn = async () =>
    String(
      (
        await postForm(
          `${stack.url}/oauth2/token`,
          { grant_type: "password", username: "alice", password: "pw" },
          basicAuth(owner.clientId),
        )
      ).body.refresh_token,
    );
  const live = await signIn();
  assert.equal((await postForm(`${stack.url}/oauth2/revoke`, { token: live }, basicAuth(other.clientId))).status, 400);
  // Dead but still stored: every token of the owner issued before now is revoked.
  const dead = await signIn();
  await stack.put({
    ...owner,
    revokeTokensIssuedBefore: Math.floor(Date.now() / 1000) + 1,
    updatedAt: owner.updatedAt + 1,
  });
  const again = await postForm(`${stack.url}/oauth2/revoke`, { token: dead }, basicAuth(other.clientId));
  assert.equal(again.status, 200, JSON.stringify(again.body));
});

const NS = 'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';
const encode = (xml: string) => Buffer.from(xml).toString("base64url");
const refusal = (xml: string) => {
  try {
    decodeAssertion(encode(xml));
    return undefined;
  } catch (error) {
    assert.ok(error instanceof InvalidGrant);
    return error.description;
  }
};

test("SAML: a document nested too deeply or with too many elements is refused before parsing", () => {
  const deep = `<saml:Assertion ${NS}>${"<a>".repeat(5000)}${"</a>".repeat(5000)}</saml:Assertion>`;
  assert.equal(refusal(deep), "the assertion nests XML elements more than 24 levels deep");
  const wide = `<saml:Assertion ${NS}>${'<a b="x>y"/>'.repeat(5000)}</saml:Assertion>`;
  assert.equal(refusal(wide), "the assertion has more than 2000 XML elements");
  // Quoted ">" and comments do not confuse the count; an ordinary shape passes.
  const ordinary = `<?xml version="1.0"?><saml:Assertion ${NS} ID="_a"><!-- <x><y><z> --><saml:Issuer>i</saml:Issuer><saml:AttributeStatement><saml:Attribute Name="a>b"><saml:AttributeValue>v</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`;
  assert.equal(refusal(ordinary), undefined);
});
