// A lost registry comes back in seconds: after a FLUSHALL, and after Redis restarts
// empty, the operator notices (the `initialised` marker is gone), writes every client
// again and marks the registry built. Every token server serves every client again
// within 10 s: one that was running (it kept serving from memory meanwhile) and one
// started after the loss, which reports not ready until the registry is built and is
// never ready while it would refuse a client. The operator's periodic resync is 10
// minutes here, so it cannot be what repairs the registry.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient as createRedisClient } from "redis";
import { rememberCredential } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { basic, post, startTokenServerOn } from "../token-server/fixtures.ts";
import {
  CLIENT_CREDENTIALS,
  createClient,
  createNamespace,
  getClient,
  getSecret,
  metricsText,
  type OperatorWorld,
  oauthClient,
  secretString,
  startOperatorWorld,
  waitForReady,
} from "./support.ts";

let world: OperatorWorld;
const clients: { id: string; secret: string }[] = [];
const SERVED_WITHIN_MS = 10_000;

before(async () => {
  world = await startOperatorWorld({ registryCheckPeriodMs: 1000, resyncPeriodMs: 600_000 });
  const ns = await createNamespace(world, "loss");
  for (const name of ["alpha", "beta", "gamma"]) {
    await createClient(world, oauthClient(ns, name, CLIENT_CREDENTIALS));
    await waitForReady(world, ns, name);
    const id = (await getClient(world, ns, name))?.status?.clientId ?? "";
    const secret = secretString(await getSecret(world, ns, `${name}-oauth-client`), "client_secret") ?? "";
    clients.push({ id, secret: rememberCredential(secret) });
  }
});
after(async () => {
  await world?.stop();
});

type Server = Awaited<ReturnType<typeof startTokenServerOn>>;

async function statuses(server: Server): Promise<number[]> {
  return Promise.all(
    clients.map(
      async ({ id, secret }) =>
        (
          await post(`${server.url}/oauth2/token`, "grant_type=client_credentials", {
            "content-type": "application/x-www-form-urlencoded",
            authorization: basic(id, secret),
          })
        ).status,
    ),
  );
}

async function ready(server: Server): Promise<boolean> {
  return (await fetch(`${server.managementUrl}/readyz`)).status === 200;
}

/**
 * Polls both servers until each serves every client; fails if the late one is ever
 * ready while refusing a client. Returns ms from `lostAt` until all were served.
 */
async function servedAgain(running: Server, late: Server, lostAt: number): Promise<number> {
  let sawLateNotReady = false;
  await waitFor(
    "every client served by both token servers",
    async () => {
      const lateReady = await ready(late);
      const [fromRunning, fromLate] = await Promise.all([statuses(running), statuses(late)]);
      if (!lateReady) sawLateNotReady = true;
      else assert.deepEqual(fromLate, [200, 200, 200], "a ready token server serves every client");
      return (lateReady && fromRunning.every((s) => s === 200) && fromLate.every((s) => s === 200)) || undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  assert.ok(sawLateNotReady || Date.now() - lostAt < 3000, "the late server waited (or the rebuild beat it)");
  return Date.now() - lostAt;
}

async function rebuilds(): Promise<number> {
  return Number(/^tollgate_registry_rebuilds_total (\d+)/m.exec(await metricsText(world.operator.port))?.[1] ?? -1);
}

test("FLUSHALL: every client served again within 10 s by a running token server and one started after the loss", async () => {
  const running = await startTokenServerOn(world.redis.url, world.recordKeys);
  let late: Server | undefined;
  try {
    assert.deepEqual(await statuses(running), [200, 200, 200]);
    const before = await rebuilds();
    const redis = createRedisClient({ url: world.redis.url });
    await redis.connect();
    await redis.flushAll();
    const lostAt = Date.now();
    await redis.close();
    late = await startTokenServerOn(world.redis.url, world.recordKeys);
    const ms = await servedAgain(running, late, lostAt);
    console.log(`registry lost by FLUSHALL: all clients served by both token servers after ${ms} ms`);
    assert.ok(ms <= SERVED_WITHIN_MS, `${ms} ms`);
    assert.equal(await rebuilds(), before + 1, "counted once");
  } finally {
    await late?.close();
    await running.close();
  }
});

test("Redis restarted empty: the same, within 10 s of Redis being back", async () => {
  const running = await startTokenServerOn(world.redis.url, world.recordKeys);
  let late: Server | undefined;
  try {
    assert.deepEqual(await statuses(running), [200, 200, 200]);
    await world.redis.restart();
    const backAt = Date.now();
    late = await startTokenServerOn(world.redis.url, world.recordKeys);
    const ms = await servedAgain(running, late, backAt);
    console.log(`Redis restarted empty: all clients served by both token servers ${ms} ms after it was back`);
    assert.ok(ms <= SERVED_WITHIN_MS, `${ms} ms`);
  } finally {
    await late?.close();
    await running.close();
  }
});
