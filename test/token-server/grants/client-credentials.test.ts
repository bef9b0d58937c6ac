// client_credentials through openid-client, tokens checked by fast-jwt (not jose, not ours).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { createClient } from "redis";
import { hashSecret } from "../../../registry/secret-hash.ts";
import { basic, clientRecord, oauthClient, post, type Stack, startStack, verifyIndependently } from "../fixtures.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test("client_secret_basic: an RFC 9068 JWT for the registered subject, default scope and audience", async () => {
  const client = clientRecord();
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const response = await oauth.clientCredentialsGrant(config);
  assert.equal(response.token_type, "bearer");
  assert.equal(response.expires_in, 600);
  assert.equal(response.scope, "orders.read");
  const claims = await verifyIndependently(stack, response.access_token, "https://orders.example");
  assert.equal(claims.header.typ, "at+jwt");
  assert.equal(claims.header.alg, "ES256");
  assert.equal(typeof claims.header.kid, "string");
  assert.equal(claims.iss, stack.url);
  assert.equal(claims.sub, "svc-orders");
  assert.equal(claims.aud, "https://orders.example");
  assert.equal(claims.client_id, client.clientId);
  assert.equal(claims.scope, "orders.read");
  assert.equal((claims.exp as number) - (claims.iat as number), 600);
  assert.match(claims.jti as string, /^[0-9a-f-]{36}$/);
});

test("every access token names the client's namespace (tollgate.dev/namespace), JWT and opaque, in introspection too", async () => {
  for (const format of ["jwt", "opaque"] as const) {
    const client = clientRecord({ namespace: "payments", accessToken: { lifetimeSeconds: 120, format } });
    await stack.put(client);
    const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
    const { access_token } = await oauth.clientCredentialsGrant(config);
    if (format === "jwt")
      assert.equal(
        (await verifyIndependently(stack, access_token, "https://orders.example"))["tollgate.dev/namespace"],
        "payments",
      );
    const introspection = await oauth.tokenIntrospection(config, access_token);
    assert.equal(introspection.active, true, format);
    assert.equal(introspection["tollgate.dev/namespace"], "payments", format);
  }
});

test("requested scopes and several RFC 8707 resources / audiences are granted when allowed", async () => {
  const client = clientRecord();
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const params = new URLSearchParams({ scope: "orders.write orders.read" });
  params.append("resource", "https://orders.example");
  params.append("audience", "reports");
  const response = await oauth.clientCredentialsGrant(config, params);
  assert.equal(response.scope, "orders.write orders.read");
  const claims = await verifyIndependently(stack, response.access_token, "reports");
  assert.deepEqual(claims.aud, ["https://orders.example", "reports"]);
});

test("sub falls back to the client_id; aud to the issuer when the client has no default audience", async () => {
  const client = clientRecord({ subject: undefined, defaultAudience: undefined, defaultScopes: [] });
  delete client.subject;
  delete client.defaultAudience;
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const response = await oauth.clientCredentialsGrant(config);
  assert.equal(response.scope, undefined);
  const claims = await verifyIndependently(stack, response.access_token, stack.url);
  assert.equal(claims.sub, client.clientId);
  assert.equal(claims.scope, undefined);
});

test("client_secret_post works for a client registered with it", async () => {
  const client = clientRecord({ tokenEndpointAuthMethod: "client_secret_post" });
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretPost(client.secret));
  const response = await oauth.clientCredentialsGrant(config);
  await verifyIndependently(stack, response.access_token, "https://orders.example");
});

test("Basic credentials are form-decoded (RFC 6749 appendix B): id and secret with reserved characters", async () => {
  const secret = "a:b+c d%e/é";
  const client = clientRecord({ clientId: `weird id:+/é-${process.pid}` }, secret);
  client.secrets = [{ hash: hashSecret(secret) }];
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(secret));
  const response = await oauth.clientCredentialsGrant(config);
  const claims = await verifyIndependently(stack, response.access_token, "https://orders.example");
  assert.equal(claims.client_id, client.clientId);
  // The same credentials sent without the form encoding are a different id and fail.
  const raw = await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString("base64")}`,
  });
  assert.equal(raw.status, 401);
});

test("secret rotation: the previous secret works inside its grace window and not after", async () => {
  const client = clientRecord({}, "new-secret");
  client.secrets = [
    { hash: hashSecret("new-secret") },
    { hash: hashSecret("old-secret"), expiresAt: Date.now() + 60_000 },
  ];
  await stack.put(client);
  for (const secret of ["new-secret", "old-secret"]) {
    const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(secret));
    await oauth.clientCredentialsGrant(config);
  }
  const expired = {
    ...client,
    secrets: [client.secrets[0], { hash: hashSecret("old-secret"), expiresAt: Date.now() - 1 }],
    updatedAt: Date.now() + 1e6,
  };
  await stack.put(expired as typeof client);
  const refused = await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(client.clientId, "old-secret"),
  });
  assert.equal(refused.status, 401);
  assert.deepEqual(refused.body, { error: "invalid_client", error_description: "client authentication failed" });
});

test("opaque access tokens: random, stored hashed, usable through introspection", async () => {
  const client = clientRecord({ accessToken: { lifetimeSeconds: 120, format: "opaque" } });
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const response = await oauth.clientCredentialsGrant(config);
  assert.match(response.access_token, /^tgat_[A-Za-z0-9_-]{43}$/);
  assert.equal(response.expires_in, 120);
  const introspection = await oauth.tokenIntrospection(config, response.access_token);
  assert.equal(introspection.active, true);
  assert.equal(introspection.sub, "svc-orders");
  assert.equal(introspection.client_id, client.clientId);
  assert.equal(introspection.scope, "orders.read");
  // Redis holds the claims under a hash of the token, never the token itself.
  const redis = createClient({ url: stack.redis.url });
  await redis.connect();
  try {
    const keys = await redis.keys("tollgate:state:v1:opaque:*");
    const hash = createHash("sha256").update(response.access_token).digest("base64url");
    assert.ok(keys.includes(`tollgate:state:v1:opaque:${hash}`));
    for (const key of await redis.keys("*")) {
      assert.ok(!key.includes(response.access_token));
      const value = (await redis.type(key)) === "string" ? await redis.get(key) : "";
      assert.ok(!value?.includes(response.access_token));
    }
    const ttl = await redis.ttl(`tollgate:state:v1:opaque:${hash}`);
    assert.ok(ttl > 0 && ttl <= 120);
  } finally {
    await redis.close();
  }
});

test("token responses carry Cache-Control: no-store and Pragma: no-cache", async () => {
  const client = clientRecord();
  await stack.put(client);
  const response = await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(client.clientId, client.secret),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(response.headers.get("pragma"), "no-cache");
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(Object.keys(response.body as object).sort(), ["access_token", "expires_in", "scope", "token_type"]);
});

test("logs never contain a secret or a token", async () => {
  const client = clientRecord({}, "do-not-log-this-secret");
  await stack.put(client);
  const good = await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(client.clientId, "do-not-log-this-secret"),
  });
  const token = (good.body as { access_token: string }).access_token;
  await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials&client_secret=posted-secret-value", {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(client.clientId, "wrong-secret-value"),
  });
  await post(`${stack.url}/oauth2/revoke`, `token=${token}`, {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(client.clientId, "do-not-log-this-secret"),
  });
  const all = stack.logs.join("");
  assert.ok(stack.logs.length > 0);
  for (const needle of [
    "do-not-log-this-secret",
    "posted-secret-value",
    "wrong-secret-value",
    token,
    token.split(".")[1] as string,
  ])
    assert.ok(!all.includes(needle), `logs contain ${needle.slice(0, 12)}...`);
});
