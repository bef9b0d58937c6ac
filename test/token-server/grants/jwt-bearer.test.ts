// RFC 7523 JWT bearer grant. Assertions are made with `jsonwebtoken` (not jose, which
// the server verifies with), issued tokens checked with fast-jwt (fixtures.ts).
// Every attack must get 400 invalid_grant with a description that names the problem.
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import jwt from "jsonwebtoken";
import type { CompiledIdentityMapping } from "../../../registry/record.ts";
import { JWKS_COOLDOWN_MS } from "../../../token-server/verification-keys.ts";
import { clientRecord, type Stack, startStack, verifyIndependently } from "../fixtures.ts";
import { nowSeconds, sleep, tokenRequest } from "./support.ts";

const GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ISSUER = "https://idp.example";
const ROTATING = "https://rotating-idp.example";

interface Pair {
  privatePem: string;
  publicPem: string;
  jwk: Record<string, unknown>;
}

function keyPair(kid: string, type: "rsa" | "ec" = "rsa"): Pair {
  const { privateKey, publicKey } =
    type === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    jwk: { ...(publicKey as KeyObject).export({ format: "jwk" }), kid, use: "sig" },
  };
}

const rsa = keyPair("rsa-1");
const ec = keyPair("ec-1", "ec");
const stranger = keyPair("stranger");
const rotating1 = keyPair("rot-1");
const rotating2 = keyPair("rot-2");

let stack: Stack;
let jwksServer: Server;
let jwksUrl: string;
let served = rotating1.jwk;
let jwksFetches = 0;

function mapping(overrides: Partial<CompiledIdentityMapping> = {}): CompiledIdentityMapping {
  return {
    jwtIssuers: [
      { issuer: ISSUER, jwks: { keys: [rsa.jwk, ec.jwk] }, subjectClaim: "sub", algorithms: ["RS256", "ES256"] },
      { issuer: ROTATING, jwksUri: jwksUrl, subjectClaim: "email", algorithms: ["RS256"] },
    ],
    samlIdps: [],
    claimMappings: [
      { from: "email", to: "email" },
      { from: "groups", to: "groups" },
      { from: "sub", to: "iss" },
    ],
    audiences: ["urn:tollgate:test"],
    maxAssertionAgeSeconds: 300,
    ...overrides,
  };
}

before(async () => {
  jwksServer = createServer((request, response) => {
    if (request.url === "/broken") {
      response.statusCode = 500;
      response.end("down");
      return;
    }
    jwksFetches += 1;
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ keys: [served] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
  stack = await startStack();
});
after(async () => {
  await stack?.close();
  jwksServer?.closeAllConnections();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

async function client(overrides: Partial<CompiledIdentityMapping> = {}) {
  const record = clientRecord({ grantTypes: [GRANT], identityMapping: mapping(overrides) });
  await stack.put(record);
  return record;
}

function sign(
  payload: Record<string, unknown>,
  options: { key?: Pair; kid?: string; algorithm?: jwt.Algorithm } = {},
): string {
  const key = options.key ?? rsa;
  return jwt.sign(
    { iss: ISSUER, sub: "alice", aud: stack.running.server.settings.tokenEndpoint, jti: randomUUID(), ...payload },
    key.privatePem,
    {
      algorithm: options.algorithm ?? "RS256",
      keyid: options.kid ?? (key.jwk.kid as string),
      ...(payload.exp === undefined ? { expiresIn: 120 } : {}),
    },
  );
}

async function refused(
  record: Awaited<ReturnType<typeof client>>,
  assertion: string,
  description: string | RegExp,
): Promise<void> {
  const result = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion });
  assert.equal(result.status, 400, JSON.stringify(result.body));
  assert.equal(result.body.error, "invalid_grant");
  assert.equal(result.headers.get("cache-control"), "no-store");
  if (typeof description === "string") assert.equal(result.body.error_description, description);
  else assert.match(String(result.body.error_description), description);
  assert.equal(result.body.access_token, undefined);
}

test("a valid RS256 assertion gets a token for its subject, with mapped claims; ES256 too", async () => {
  const record = await client();
  const assertion = sign({ email: "alice@example.com", groups: ["ops", "dev"] });
  const result = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion, scope: "orders.write" });
  assert.equal(result.status, 200, JSON.stringify(result.body));
  assert.equal(result.body.token_type, "Bearer");
  assert.equal(result.body.scope, "orders.write");
  assert.equal(result.body.refresh_token, undefined, "assertion grants get no refresh token by default");
  const claims = await verifyIndependently(stack, result.body.access_token as string, "https://orders.example");
  assert.equal(claims.sub, `jwt:${ISSUER}|alice`, "two issuers: the subject names its issuer (identity-source.ts)");
  assert.equal(claims.client_id, record.clientId);
  assert.equal(claims.email, "alice@example.com");
  assert.deepEqual(claims.groups, ["ops", "dev"]);
  assert.equal(claims.iss, stack.url, "a mapping can never replace a reserved claim");

  const es = sign({ sub: "bob" }, { key: ec, algorithm: "ES256" });
  const second = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: es });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  const esClaims = await verifyIndependently(stack, second.body.access_token as string, "https://orders.example");
  assert.equal(esClaims.sub, `jwt:${ISSUER}|bob`);
});

test("aud may be the issuer, the token endpoint or a mapping audience; anything else is refused", async () => {
  const record = await client();
  for (const aud of [stack.url, stack.running.server.settings.tokenEndpoint, "urn:tollgate:test"]) {
    const result = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: sign({ aud }) });
    assert.equal(result.status, 200, `${aud}: ${JSON.stringify(result.body)}`);
  }
  await refused(
    record,
    sign({ aud: "https://other-server.example/token" }),
    `the assertion's 'aud' must name this server: ${stack.running.server.settings.tokenEndpoint} or ${stack.url}`,
  );
});

test('alg "none" is refused', async () => {
  const record = await client();
  const unsigned = jwt.sign(
    { iss: ISSUER, sub: "alice", aud: stack.url, jti: randomUUID(), exp: nowSeconds() + 60 },
    "",
    { algorithm: "none" },
  );
  assert.equal(unsigned.split(".")[2], "", "jsonwebtoken made an unsigned JWT");
  await refused(record, unsigned, "the assertion must be signed; alg 'none' is not accepted");
});

test("HS256 signed with the issuer's public key as the HMAC secret is refused", async () => {
  const record = await client();
  const forged = jwt.sign(
    { iss: ISSUER, sub: "alice", aud: stack.url, jti: randomUUID(), exp: nowSeconds() + 60 },
    rsa.publicPem,
    { algorithm: "HS256", keyid: "rsa-1" },
  );
  await refused(
    record,
    forged,
    "the assertion must be signed with the issuer's private key; HS256 (HMAC) is not accepted",
  );
});

test("an algorithm off the issuer's allow-list is refused even with a valid signature", async () => {
  const record = await client();
  await refused(
    record,
    sign({}, { algorithm: "RS512" }),
    "the assertion is signed with RS512; this issuer is trusted for RS256, ES256 only",
  );
});

test("expired, not yet valid, too old, iat in the future: each refused with its reason", async () => {
  const record = await client();
  const now = nowSeconds();
  await refused(record, sign({ iat: now - 200, exp: now - 100 }), "the assertion has expired");
  await refused(record, sign({ nbf: now + 300, exp: now + 600 }), "the assertion is not valid yet (nbf)");
  await refused(
    record,
    sign({ iat: now - 900, exp: now + 60 }),
    "the assertion is older than 300 seconds (by its 'iat'); request a fresh one",
  );
  await refused(record, sign({ iat: now + 600, exp: now + 900 }), /'iat'/);
  // A fresh iat does not buy an exp years ahead: the jti would be kept that long.
  await refused(record, sign({ iat: now, exp: now + 2 * 86400 }), "the assertion must expire within 24 hours");
  const day = await tokenRequest(stack.url, record, {
    grant_type: GRANT,
    assertion: sign({ iat: now, exp: now + 23 * 3600 }),
  });
  assert.equal(day.status, 200, JSON.stringify(day.body));
  // Inside the 30 s clock tolerance, slightly skewed clocks still work.
  const skewed = await tokenRequest(stack.url, record, {
    grant_type: GRANT,
    assertion: sign({ nbf: now + 10, iat: now + 10, exp: now + 60 }),
  });
  assert.equal(skewed.status, 200, JSON.stringify(skewed.body));
});

test("exp and jti are required", async () => {
  const record = await client();
  const noExp = jwt.sign({ iss: ISSUER, sub: "alice", aud: stack.url, jti: randomUUID() }, rsa.privatePem, {
    algorithm: "RS256",
    keyid: "rsa-1",
  });
  await refused(record, noExp, "the assertion must have an 'exp' claim");
  const noJti = jwt.sign({ iss: ISSUER, sub: "alice", aud: stack.url }, rsa.privatePem, {
    algorithm: "RS256",
    keyid: "rsa-1",
    expiresIn: 60,
  });
  await refused(record, noJti, "the assertion must have a 'jti' claim (it is used once)");
});

test("a replayed jti is refused; the guard lives until the assertion's exp", async () => {
  const record = await client();
  const assertion = sign({ exp: nowSeconds() + 100 });
  const first = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion });
  assert.equal(first.status, 200);
  await refused(record, assertion, "the assertion was already used");
  const { createClient } = await import("redis");
  const redis = createClient({ url: stack.redis.url });
  await redis.connect();
  const keys = await redis.keys("tollgate:state:v1:used:jwt-bearer:*");
  const ttls = await Promise.all(keys.map((key) => redis.ttl(key)));
  await redis.close();
  assert.ok(
    ttls.some((ttl) => ttl > 100 && ttl <= 131),
    `a guard lives until exp plus tolerance: ${ttls}`,
  );
});

test("an untrusted issuer, an unknown kid, a key of the wrong issuer: refused", async () => {
  const record = await client();
  await refused(record, sign({ iss: "https://evil.example" }), "the assertion's issuer is not trusted by this client");
  await refused(
    record,
    sign({}, { key: stranger, kid: "not-a-known-kid" }),
    "no key of the assertion's issuer matches its header (kid, alg)",
  );
  // A stranger's key claiming a kid the issuer has: the signature does not verify.
  await refused(
    record,
    sign({}, { key: stranger, kid: "rsa-1" }),
    "the assertion's signature does not verify with the issuer's keys",
  );
});

test("a subject not in its issuer's allowedSubjects is refused; an allowed one passes", async () => {
  const record = await client({
    jwtIssuers: mapping().jwtIssuers.map((i) => (i.issuer === ISSUER ? { ...i, allowedSubjects: ["alice"] } : i)),
  });
  await refused(record, sign({ sub: "mallory" }), "the assertion's subject is not allowed for this client");
  const ok = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: sign({ sub: "alice" }) });
  assert.equal(ok.status, 200);
});

test("allowedSubjects are per issuer: one issuer cannot assert a subject allowed for another", async () => {
  const record = await client({
    jwtIssuers: mapping().jwtIssuers.map((i) =>
      i.issuer === ISSUER ? { ...i, allowedSubjects: ["alice"] } : { ...i, allowedSubjects: ["carol@example.com"] },
    ),
  });
  const fromRotating = (email: string) => sign({ iss: ROTATING, sub: "x", email }, { key: rotating1 });
  served = rotating1.jwk;
  await refused(record, fromRotating("alice"), "the assertion's subject is not allowed for this client");
  const ok = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: fromRotating("carol@example.com") });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});

test("two issuers asserting the same subject get different token subjects, each naming its issuer", async () => {
  const record = await client();
  served = rotating1.jwk;
  const viaIssuer = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: sign({ sub: "dana" }) });
  const viaRotating = await tokenRequest(stack.url, record, {
    grant_type: GRANT,
    assertion: sign({ iss: ROTATING, sub: "x", email: "dana" }, { key: rotating1 }),
  });
  const a = await verifyIndependently(stack, viaIssuer.body.access_token as string, "https://orders.example");
  const b = await verifyIndependently(stack, viaRotating.body.access_token as string, "https://orders.example");
  assert.equal(a.sub, `jwt:${ISSUER}|dana`);
  assert.equal(b.sub, `jwt:${ROTATING}|dana`);
});

test("an asserted subject naming the client itself (its subject or client_id) is refused", async () => {
  const record = await client();
  await refused(
    record,
    sign({ sub: "svc-orders" }),
    "the subject names this client's own identity, which no user or assertion may claim",
  );
  await refused(
    record,
    sign({ sub: record.clientId }),
    "the subject names this client's own identity, which no user or assertion may claim",
  );
});

test("a client without an identity mapping trusts no issuer", async () => {
  const record = clientRecord({ grantTypes: [GRANT] });
  await stack.put(record);
  await refused(record, sign({}), "this client has no identity mapping, so it trusts no assertion issuer");
});

test("a JWKS URL: keys fetched, cached, and followed through a rotation (a kid miss refetches)", async () => {
  const record = await client();
  const rotatingAssertion = (key: Pair) => sign({ iss: ROTATING, sub: "ignored", email: "carol@example.com" }, { key });
  const first = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: rotatingAssertion(rotating1) });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const claims = await verifyIndependently(stack, first.body.access_token as string, "https://orders.example");
  assert.equal(claims.sub, `jwt:${ROTATING}|carol@example.com`, "the issuer's subjectClaim (email) is the subject");
  const fetchesAfterFirst = jwksFetches;
  assert.equal(fetchesAfterFirst, 1);
  const again = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: rotatingAssertion(rotating1) });
  assert.equal(again.status, 200);
  assert.equal(jwksFetches, 1, "the key set is cached");

  // The issuer rotates: only rot-2 is published now. After the cooldown, an assertion
  // with the new kid makes the server refetch, and then succeeds.
  served = rotating2.jwk;
  await sleep(JWKS_COOLDOWN_MS + 200);
  const rotated = await tokenRequest(stack.url, record, { grant_type: GRANT, assertion: rotatingAssertion(rotating2) });
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  assert.equal(jwksFetches, 2);
  // The retired key is gone from the refreshed set.
  await refused(record, rotatingAssertion(rotating1), "no key of the assertion's issuer matches its header (kid, alg)");
});

test("an issuer whose JWKS URL fails: refused with a retry hint, nothing issued", async () => {
  const record = clientRecord({
    grantTypes: [GRANT],
    identityMapping: mapping({
      jwtIssuers: [
        { issuer: ISSUER, jwksUri: jwksUrl.replace("/jwks", "/broken"), subjectClaim: "sub", algorithms: ["RS256"] },
      ],
    }),
  });
  await stack.put(record);
  await refused(record, sign({}), "the keys of the assertion's issuer could not be fetched; retry later");
});

test("discovery lists the assertion grants", async () => {
  const metadata = (await (await fetch(`${stack.url}/.well-known/oauth-authorization-server`)).json()) as {
    grant_types_supported: string[];
  };
  for (const grant of [GRANT, "urn:ietf:params:oauth:grant-type:saml2-bearer", "password", "refresh_token"])
    assert.ok(metadata.grant_types_supported.includes(grant), grant);
});
