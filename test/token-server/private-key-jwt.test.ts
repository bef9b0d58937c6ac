// private_key_jwt client authentication (RFC 7523 §2.2, §3) through openid-client,
// with inline keys and with a jwks_uri; replay, audience and lifetime checks.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { exportJWK, type GenerateKeyPairResult, generateKeyPair, SignJWT } from "jose";
import * as oauth from "openid-client";
import { clientRecord, oauthClient, post, type Stack, startStack, verifyIndependently } from "./fixtures.ts";

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
let stack: Stack;
let keyPair: GenerateKeyPairResult;
let publicJwk: Record<string, unknown>;
let jwksServer: Server;
let jwksUrl: string;

before(async () => {
  stack = await startStack();
  keyPair = await generateKeyPair("ES256", { extractable: true });
  publicJwk = { ...(await exportJWK(keyPair.publicKey)), kid: "client-key-1", alg: "ES256", use: "sig" };
  jwksServer = createServer((_, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
after(async () => {
  await stack?.close();
  jwksServer?.close();
});

function pkjClient(overrides: Parameters<typeof clientRecord>[0] = {}) {
  return clientRecord({
    tokenEndpointAuthMethod: "private_key_jwt",
    secrets: [],
    jwks: { keys: [publicJwk] },
    ...overrides,
  });
}

async function assertion(clientId: string, claims: Record<string, unknown> = {}, alg = "ES256"): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg, kid: "client-key-1" })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience((claims.aud as string | string[]) ?? stack.url)
    .setIssuedAt((claims.iat as number) ?? now)
    .setExpirationTime((claims.exp as number) ?? now + 60)
    .sign(keyPair.privateKey);
}

const withAssertion = (jwt: string, extra = "") =>
  post(
    `${stack.url}/oauth2/token`,
    `grant_type=client_credentials&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${jwt}${extra}`,
  );

test("openid-client's PrivateKeyJwt authenticates a client with inline keys", async () => {
  const client = pkjClient();
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.PrivateKeyJwt(keyPair.privateKey, {}));
  const response = await oauth.clientCredentialsGrant(config);
  const claims = await verifyIndependently(stack, response.access_token, "https://orders.example");
  assert.equal(claims.client_id, client.clientId);
  const introspection = await oauth.tokenIntrospection(config, response.access_token);
  assert.equal(introspection.active, true);
});

test("keys from the client's jwks_uri (jose createRemoteJWKSet)", async () => {
  const client = pkjClient({ jwks: undefined, jwksUri: jwksUrl });
  delete client.jwks;
  await stack.put(client);
  const response = await withAssertion(await assertion(client.clientId));
  assert.equal(response.status, 200, response.text);
});

test("a replayed assertion (same jti) is refused", async () => {
  const client = pkjClient();
  await stack.put(client);
  const jwt = await assertion(client.clientId);
  assert.equal((await withAssertion(jwt)).status, 200);
  const replay = await withAssertion(jwt);
  assert.equal(replay.status, 401);
  assert.deepEqual(replay.body, { error: "invalid_client", error_description: "client_assertion was already used" });
  assert.equal(replay.headers.get("www-authenticate"), null);
});

test("audience: exactly the issuer, as a string (draft-ietf-oauth-rfc7523bis); endpoints and arrays are refused", async () => {
  const client = pkjClient();
  await stack.put(client);
  assert.equal((await withAssertion(await assertion(client.clientId, { aud: stack.url }))).status, 200);
  for (const aud of [
    "https://elsewhere.example/token",
    `${stack.url}/oauth2/token`,
    `${stack.url}/oauth2/introspect`,
  ]) {
    const wrong = await withAssertion(await assertion(client.clientId, { aud }));
    assert.equal(wrong.status, 401, aud);
    assert.deepEqual(wrong.body, { error: "invalid_client", error_description: "client_assertion is invalid" });
  }
  for (const aud of [[stack.url], [stack.url, "https://attacker.example"]]) {
    const array = await withAssertion(await assertion(client.clientId, { aud }));
    assert.equal(array.status, 401, JSON.stringify(aud));
    assert.deepEqual(array.body, {
      error: "invalid_client",
      error_description:
        "client_assertion aud must be this server's issuer identifier as a single string, not an array",
    });
  }
});

test("an iat in the future (a year ahead) is refused", async () => {
  const client = pkjClient();
  await stack.put(client);
  const ahead = await withAssertion(
    await assertion(client.clientId, { iat: Math.floor(Date.now() / 1000) + 365 * 86400 }),
  );
  assert.equal(ahead.status, 401);
  assert.deepEqual(ahead.body, { error: "invalid_client", error_description: "client_assertion iat is in the future" });
});

test("exp is required, and an assertion may not live for more than an hour", async () => {
  const client = pkjClient();
  await stack.put(client);
  const far = await withAssertion(await assertion(client.clientId, { exp: Math.floor(Date.now() / 1000) + 7200 }));
  assert.equal(far.status, 401);
  assert.deepEqual(far.body, {
    error: "invalid_client",
    error_description: "client_assertion must expire within 3600 seconds",
  });
  const noExp = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: "ES256" })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(stack.url)
    .sign(keyPair.privateKey);
  const refused = await withAssertion(noExp);
  assert.equal(refused.status, 401);
});

test("an assertion signed by another key, or a client_id that differs from its subject, is refused", async () => {
  const client = pkjClient();
  await stack.put(client);
  const other = await generateKeyPair("ES256");
  const forged = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: "ES256", kid: "client-key-1" })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(stack.url)
    .setExpirationTime("1m")
    .sign(other.privateKey);
  assert.equal((await withAssertion(forged)).status, 401);
  const mismatch = await withAssertion(await assertion(client.clientId), "&client_id=someone-else");
  assert.equal(mismatch.status, 401);
  assert.deepEqual(mismatch.body, {
    error: "invalid_client",
    error_description: "client_id does not match the client_assertion subject",
  });
});

test("a client registered for private_key_jwt cannot use a secret, and a secret client cannot use an assertion", async () => {
  const pkj = pkjClient();
  const secretClient = clientRecord();
  await stack.put(pkj);
  await stack.put(secretClient);
  const viaSecret = await post(
    `${stack.url}/oauth2/token`,
    `grant_type=client_credentials&client_id=${pkj.clientId}&client_secret=anything`,
  );
  assert.equal(viaSecret.status, 401);
  assert.deepEqual(viaSecret.body, {
    error: "invalid_client",
    error_description: "this client must authenticate with private_key_jwt, not client_secret_post",
  });
  const viaAssertion = await withAssertion(await assertion(secretClient.clientId));
  assert.deepEqual(viaAssertion.body, {
    error: "invalid_client",
    error_description: "this client must authenticate with client_secret_basic, not private_key_jwt",
  });
});

test("a wrong client_assertion_type is refused", async () => {
  const client = pkjClient();
  await stack.put(client);
  const response = await post(
    `${stack.url}/oauth2/token`,
    `grant_type=client_credentials&client_assertion_type=urn%3Aexample&client_assertion=${await assertion(client.clientId)}`,
  );
  assert.equal(response.status, 401);
  assert.deepEqual(response.body, {
    error: "invalid_client",
    error_description: `client_assertion_type must be ${ASSERTION_TYPE}`,
  });
});
