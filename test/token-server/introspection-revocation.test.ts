// RFC 7662 introspection and RFC 7009 revocation through openid-client; the client's
// state changed through RedisRegistry, as the operator changes it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { waitFor } from "../harness/processes.ts";
import { basic, clientRecord, oauthClient, oauthErrorOf, post, type Stack, startStack } from "./fixtures.ts";

let stack: Stack;
/** The resource server: a client that introspects others' tokens. */
let resourceServer: oauth.Configuration;

before(async () => {
  stack = await startStack();
  const rs = clientRecord({ grantTypes: [] });
  await stack.put(rs);
  resourceServer = await oauthClient(stack, rs.clientId, oauth.ClientSecretBasic(rs.secret));
});
after(async () => {
  await stack?.close();
});

async function issued(overrides: Parameters<typeof clientRecord>[0] = {}) {
  const client = clientRecord(overrides);
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const { access_token } = await oauth.clientCredentialsGrant(config);
  return { client, config, token: access_token };
}

async function sleepToNextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}

test("an issued JWT introspects active with its claims, for its own client and for a resource server", async () => {
  const { client, config, token } = await issued();
  for (const caller of [config, resourceServer]) {
    const result = await oauth.tokenIntrospection(caller, token);
    assert.equal(result.active, true);
    assert.equal(result.client_id, client.clientId);
    assert.equal(result.sub, "svc-orders");
    assert.equal(result.aud, "https://orders.example");
    assert.equal(result.iss, stack.url);
    assert.equal(result.scope, "orders.read");
    assert.equal(result.token_type, "Bearer");
    assert.equal((result.exp as number) - (result.iat as number), 600);
  }
});

test("garbage, a foreign JWT and an expired token introspect exactly {active: false}", async () => {
  const { client } = await issued({ accessToken: { lifetimeSeconds: 1, format: "jwt" } });
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const { access_token: shortLived } = await oauth.clientCredentialsGrant(config);
  const foreign =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJ4Iiwic3ViIjoieSJ9.2J3M1p7Xnw8pZb1Gv4cUqUQ3yqOaP0M8lW8Ddn3qkqE";
  // Its one-second life ends on the clock: polled, not slept for.
  await waitFor(
    "the short-lived token to expire",
    async () => (await oauth.tokenIntrospection(resourceServer, shortLived)).active === false || undefined,
    { timeoutMs: 5000, intervalMs: 50 },
  );
  for (const token of ["not-a-token", foreign, shortLived, "tgat_doesnotexist"]) {
    const raw = await post(`${stack.url}/oauth2/introspect`, `token=${encodeURIComponent(token)}`, {
      "content-type": "application/x-www-form-urlencoded",
      authorization: basic(client.clientId, client.secret),
    });
    assert.equal(raw.status, 200);
    assert.equal(raw.text, '{"active":false}');
  }
});

test("revocation (RFC 7009): the token introspects inactive afterwards; revoking again or garbage is 200", async () => {
  const { config, token } = await issued();
  await oauth.tokenRevocation(config, token);
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, false);
  await oauth.tokenRevocation(config, token);
  await oauth.tokenRevocation(config, "garbage");
  // The revoked jti is kept only as long as the token would have lived.
  const payload = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString());
  const { createClient } = await import("redis");
  const redis = createClient({ url: stack.redis.url });
  await redis.connect();
  const ttl = await redis.ttl(`tollgate:state:v1:revoked:${payload.jti}`);
  await redis.close();
  assert.ok(ttl > 590 && ttl <= 600, `ttl ${ttl}`);
});

test("revoking an opaque token deletes it", async () => {
  const { config, token } = await issued({ accessToken: { lifetimeSeconds: 300, format: "opaque" } });
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, true);
  await oauth.tokenRevocation(config, token);
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, false);
});

test("a client may not revoke another client's live token: 400 invalid_grant, token stays active", async () => {
  const { token } = await issued();
  const other = await issued();
  const response = await post(`${stack.url}/oauth2/revoke`, `token=${encodeURIComponent(token)}`, {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(other.client.clientId, other.client.secret),
  });
  assert.equal(response.status, 400);
  assert.deepEqual(response.body, {
    error: "invalid_grant",
    error_description: "the token was not issued to this client",
  });
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, true);
});

test("disabling the client: its tokens introspect inactive and it cannot get new ones", async () => {
  const { client, config, token } = await issued();
  await stack.put({ ...client, disabled: true, updatedAt: Date.now() + 1e7 });
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, false);
  const refused = await oauthErrorOf(await oauth.clientCredentialsGrant(config).catch((error) => error));
  assert.deepEqual(refused, { status: 401, error: "invalid_client", challenge: 'basic realm="tollgate"' });
  // Enabling it again brings the token back: disabled is a state, not a revocation.
  await stack.put({ ...client, disabled: false, updatedAt: Date.now() + 2e7 });
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, true);
});

test("revokeTokensIssuedBefore: older tokens inactive, newer ones active", async () => {
  const { client, config, token: old } = await issued();
  await sleepToNextSecond();
  await stack.put({ ...client, revokeTokensIssuedBefore: Math.floor(Date.now() / 1000), updatedAt: Date.now() + 3e7 });
  assert.equal((await oauth.tokenIntrospection(resourceServer, old)).active, false);
  const { access_token: fresh } = await oauth.clientCredentialsGrant(config);
  assert.equal((await oauth.tokenIntrospection(resourceServer, fresh)).active, true);
});

test("deleting the client: its tokens inactive, new requests invalid_client; a re-created client's old tokens stay dead", async () => {
  const { client, config, token } = await issued();
  await sleepToNextSecond();
  await stack.registry.delete(client.clientId, Math.floor(Date.now() / 1000));
  await stack.running.clients.settled();
  for (let i = 0; i < 100 && stack.running.clients.get(client.clientId); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, false);
  const refused = await oauthErrorOf(await oauth.clientCredentialsGrant(config).catch((error) => error));
  assert.equal(refused.error, "invalid_client");
  await sleepToNextSecond();
  await stack.put({ ...client, updatedAt: Date.now() + 4e7 });
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, false);
  const { access_token: fresh } = await oauth.clientCredentialsGrant(config);
  assert.equal((await oauth.tokenIntrospection(resourceServer, fresh)).active, true);
  // A full resync reads the stored tombstone and keeps the old token dead.
  await stack.running.clients.resync();
  assert.equal((await oauth.tokenIntrospection(resourceServer, token)).active, false);
});

test("a registry change takes effect well under a second (pub/sub, not the 30 s resync)", async () => {
  const client = clientRecord();
  const started = performance.now();
  await stack.registry.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      await oauth.clientCredentialsGrant(config);
      break;
    } catch (error) {
      if (performance.now() - started > 1000) throw error;
    }
  }
  assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms over ${attempts} attempts`);
});

test("introspection and revocation require client authentication", async () => {
  const { token } = await issued();
  for (const path of ["/oauth2/introspect", "/oauth2/revoke"]) {
    const response = await post(`${stack.url}${path}`, `token=${encodeURIComponent(token)}`);
    assert.equal(response.status, 401);
    assert.deepEqual(response.body, {
      error: "invalid_client",
      error_description: "no client authentication included",
    });
    const missing = await post(`${stack.url}${path}`, "", {
      "content-type": "application/x-www-form-urlencoded",
      authorization: basic("nobody", "x"),
    });
    assert.equal(missing.status, 401);
  }
});

test("a public client introspects only its own tokens", async () => {
  const { token } = await issued();
  const pub = clientRecord({ clientType: "public", tokenEndpointAuthMethod: "none", secrets: [], grantTypes: [] });
  await stack.put(pub);
  const config = await oauthClient(stack, pub.clientId, oauth.None());
  assert.equal((await oauth.tokenIntrospection(config, token)).active, false);
});
