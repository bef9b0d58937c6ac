// Redis stopped and restarted (empty) under a bounded load on loopback: JWT
// client_credentials keeps working from memory throughout, everything that needs
// token state answers 503 temporarily_unavailable (never a wrong answer), and the
// service recovers by itself (middleware/state-outage.ts).

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createClient, type RedisClientType } from "redis";
import { RecordKeyRing } from "../../../registry/record-keys.ts";
import { RedisRegistry } from "../../../registry/redis-registry.ts";
import { KeyRing } from "../../../token-server/key-ring.ts";
import { startTokenServer } from "../../../token-server/server.ts";
import { RedisTokenState } from "../../../token-server/state/redis-state.ts";
import { testLogger } from "../../harness/log-capture.ts";
import { waitFor } from "../../harness/processes.ts";
import { removeRedisDir, startRedis } from "../../harness/redis.ts";
import { basic, clientRecord, post, type Stack, startStack } from "../fixtures.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

const FORM = { "content-type": "application/x-www-form-urlencoded" };

test("Redis down: JWT issuance continues, state-needing paths fail closed with 503, then recover", async () => {
  const jwtClient = clientRecord();
  const opaqueClient = clientRecord({ accessToken: { lifetimeSeconds: 300, format: "opaque" } });
  const keys = await generateKeyPair("ES256");
  const pkjClient = clientRecord({
    tokenEndpointAuthMethod: "private_key_jwt",
    secrets: [],
    jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), alg: "ES256" }] },
  });
  for (const record of [jwtClient, opaqueClient, pkjClient]) await stack.put(record);
  const tokenUrl = `${stack.url}/oauth2/token`;
  const asJwtClient = (path: string, body: string) =>
    post(`${stack.url}${path}`, body, { ...FORM, authorization: basic(jwtClient.clientId, jwtClient.secret) });
  const issueJwt = () => asJwtClient("/oauth2/token", "grant_type=client_credentials");
  const before = (await issueJwt()).body as { access_token: string };

  // Bounded load: 4 workers, at most 20,000 requests or 60 s, stopped by the test.
  const statuses = new Map<number, number>();
  let stop = false;
  let sent = 0;
  const deadline = Date.now() + 60_000;
  const worker = async () => {
    while (!stop && sent < 20_000 && Date.now() < deadline) {
      sent += 1;
      const { status } = await issueJwt();
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const load = Promise.all([worker(), worker(), worker(), worker()]);

  await stack.redis.stop();
  await waitFor("the server to notice Redis is gone", async () => !stack.state.available || undefined, {
    timeoutMs: 10_000,
    intervalMs: 20,
  });
  const sentAtOutage = sent;

  const assertUnavailable = (response: Awaited<ReturnType<typeof post>>) => {
    assert.equal(response.status, 503, response.text);
    assert.equal((response.body as { error: string }).error, "temporarily_unavailable");
    assert.equal(response.headers.get("retry-after"), "1");
  };
  // JWT issuance: works.
  const during = await issueJwt();
  assert.equal(during.status, 200);
  // Opaque issuance, introspection of a live token, revocation, private_key_jwt: 503.
  assertUnavailable(
    await post(tokenUrl, "grant_type=client_credentials", {
      ...FORM,
      authorization: basic(opaqueClient.clientId, opaqueClient.secret),
    }),
  );
  assertUnavailable(await asJwtClient("/oauth2/introspect", `token=${before.access_token}`));
  assertUnavailable(await asJwtClient("/oauth2/revoke", `token=${before.access_token}`));
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: "ES256" })
    .setIssuer(pkjClient.clientId)
    .setSubject(pkjClient.clientId)
    .setAudience(stack.url)
    .setExpirationTime("1m")
    .sign(keys.privateKey);
  const pkjBody = `grant_type=client_credentials&client_assertion_type=${encodeURIComponent("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")}&client_assertion=${assertion}`;
  assertUnavailable(await post(tokenUrl, pkjBody));
  // What is dead for local reasons still answers without Redis.
  const garbage = await asJwtClient("/oauth2/introspect", "token=garbage");
  assert.equal(garbage.text, '{"active":false}');
  const ready = await fetch(`${stack.managementUrl}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(((await ready.json()) as { tokenState: string }).tokenState, "unavailable");

  // Let the load run against the outage for a moment, then bring Redis back, empty.
  await waitFor("load during the outage", async () => sent > sentAtOutage + 200 || undefined, { timeoutMs: 20_000 });
  await stack.redis.restart();
  await waitFor("the token state to reconnect", async () => stack.state.available || undefined, {
    timeoutMs: 15_000,
    intervalMs: 50,
  });
  // The registry came back empty; a resync must not sign every client out.
  await stack.running.clients.resync();
  assert.ok(stack.running.clients.get(jwtClient.clientId), "clients kept after the registry reset");

  const opaque = await post(tokenUrl, "grant_type=client_credentials", {
    ...FORM,
    authorization: basic(opaqueClient.clientId, opaqueClient.secret),
  });
  assert.equal(opaque.status, 200, opaque.text);
  const introspected = await asJwtClient("/oauth2/introspect", `token=${before.access_token}`);
  assert.equal((introspected.body as { active: boolean }).active, true);
  assert.equal((await asJwtClient("/oauth2/revoke", `token=${before.access_token}`)).status, 200);
  const revoked = await asJwtClient("/oauth2/introspect", `token=${before.access_token}`);
  assert.equal(revoked.text, '{"active":false}');
  assert.equal((await post(tokenUrl, pkjBody)).status, 200);

  stop = true;
  await load;
  assert.deepEqual([...statuses.keys()], [200], `load statuses: ${JSON.stringify([...statuses])}`);
  assert.ok(sent > 200, `only ${sent} requests were sent`);
});

test("started while Redis is down: live but not ready, and ready by itself once Redis is up", async () => {
  const redis = await startRedis();
  await redis.stop();
  const registryClient: RedisClientType = createClient({
    url: redis.url,
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 300) },
  });
  registryClient.on("error", () => {});
  registryClient.connect().catch(() => {});
  const recordKeys = await RecordKeyRing.generated();
  const registry = new RedisRegistry(registryClient, recordKeys);
  const state = RedisTokenState.start({ url: redis.url });
  const running = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    registry,
    state,
    keys: await KeyRing.generated("ES256"),
    log: testLogger("redis-outage", { level: "error" }),
    registryWaitMs: 200,
  });
  try {
    assert.equal((await fetch(`${running.managementUrl}/healthz`)).status, 200);
    const notReady = await fetch(`${running.managementUrl}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(((await notReady.json()) as { registry: string }).registry, "not loaded");
    await redis.restart();
    const writer = await RedisRegistry.connect(redis.url, recordKeys);
    const client = clientRecord();
    await writer.put(client);
    await writer.markInitialised();
    await writer.close();
    await waitFor("ready", async () => (await fetch(`${running.managementUrl}/readyz`)).status === 200 || undefined, {
      timeoutMs: 15_000,
    });
    await waitFor("the client", async () => running.clients.get(client.clientId) ?? undefined, { timeoutMs: 15_000 });
    const response = await post(`${running.url}/oauth2/token`, "grant_type=client_credentials", {
      ...FORM,
      authorization: basic(client.clientId, client.secret),
    });
    assert.equal(response.status, 200, response.text);
  } finally {
    await running.close();
    await state.close();
    await registry.close().catch(() => {});
    await redis.stop();
    await removeRedisDir(redis);
  }
});
