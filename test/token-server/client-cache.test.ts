// The registry's read side against a real Redis: pub/sub changes, revision gaps,
// periodic resync, and a registry that comes back empty.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient, type RedisClientType } from "redis";
import type { ClientRecord } from "../../registry/record.ts";
import { type RecordKey, RecordKeyRing } from "../../registry/record-keys.ts";
import { sealRecord } from "../../registry/record-seal.ts";
import { RedisRegistry } from "../../registry/redis-registry.ts";
import { registryKeys } from "../../registry/registry-keys.ts";
import { ClientCache } from "../../token-server/client-cache.ts";
import { testLogger } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { removeRedisDir, startRedis, type TestRedis } from "../harness/redis.ts";
import { clientRecord } from "./fixtures.ts";

let redis: TestRedis;
let writer: RedisRegistry;
let recordKeys: RecordKeyRing;
let raw: RedisClientType;
const caches: ClientCache[] = [];
const readers: RedisRegistry[] = [];
const log = testLogger("client-cache", { level: "error" });

before(async () => {
  redis = await startRedis();
  recordKeys = await RecordKeyRing.generated();
  writer = await RedisRegistry.connect(redis.url, recordKeys);
  await writer.markInitialised(); // as the operator does once it has written every client
  raw = createClient({ url: redis.url });
  await raw.connect();
});
after(async () => {
  for (const cache of caches) await cache.stop();
  for (const reader of readers) await reader.close();
  await writer?.close();
  await raw?.close();
  await redis?.stop();
  if (redis) await removeRedisDir(redis);
});

/** The value the operator would store: the record MAC'd with the current record key. */
function sealed(record: ClientRecord): string {
  return sealRecord(recordKeys.current as RecordKey, registryKeys.clients, record.clientId, JSON.stringify(record));
}

async function cache(
  options: { resyncIntervalMs?: number; resetGraceMs?: number; fullResyncEvery?: number } = {},
): Promise<ClientCache> {
  const reader = await RedisRegistry.connect(redis.url, recordKeys);
  readers.push(reader);
  const started = await ClientCache.start(reader, { log, ...options });
  caches.push(started);
  return started;
}

const seen = (c: ClientCache, id: string) =>
  waitFor(`cache to have ${id}`, async () => c.get(id) !== undefined || undefined, { timeoutMs: 5000, intervalMs: 5 });

test("loads the snapshot, then follows puts and deletes (with tombstones)", async () => {
  const a = clientRecord();
  await writer.put(a);
  const c = await cache();
  assert.equal(c.ready, true);
  assert.equal(c.get(a.clientId)?.clientId, a.clientId);
  const b = clientRecord();
  await writer.put(b);
  await seen(c, b.clientId);
  await writer.delete(a.clientId, 1234);
  await waitFor("delete", async () => c.get(a.clientId) === undefined || undefined, { timeoutMs: 5000, intervalMs: 5 });
  assert.ok((c.tombstone(a.clientId) ?? 0) >= 1234);
  await c.resync();
  assert.equal(c.tombstone(a.clientId), 1234);
});

test("a missed notification (revision gap) triggers a full resync", async () => {
  const c = await cache();
  const missed = clientRecord();
  // Written as a writer would, but its notification is lost.
  await raw.multi().hSet(registryKeys.clients, missed.clientId, sealed(missed)).incr(registryKeys.revision).exec();
  assert.equal(c.get(missed.clientId), undefined);
  const next = clientRecord();
  await writer.put(next);
  await seen(c, next.clientId);
  await seen(c, missed.clientId);
});

test("the periodic resync repairs what no notification said", async () => {
  const c = await cache({ resyncIntervalMs: 100 });
  const silent = clientRecord();
  await raw.hSet(registryKeys.clients, silent.clientId, sealed(silent));
  await seen(c, silent.clientId);
});

test("a registry that comes back empty keeps missing clients for the grace period, not tombstoned ones", async () => {
  const kept = clientRecord();
  const deleted = clientRecord();
  await writer.put(kept);
  await writer.put(deleted);
  const c = await cache({ resetGraceMs: 400 });
  await seen(c, kept.clientId);
  await raw.flushAll();
  const fresh = clientRecord();
  await writer.put(fresh);
  await writer.delete(deleted.clientId, Math.floor(Date.now() / 1000));
  await c.resync();
  assert.ok(c.get(fresh.clientId));
  assert.ok(c.get(kept.clientId), "kept through the reset");
  assert.equal(c.get(deleted.clientId), undefined);
  // Dropped once the grace period ends (the grace period on a fake clock: the unit tier).
  await waitFor(
    "the grace period to end",
    async () => {
      await c.resync();
      return c.get(kept.clientId) === undefined || undefined;
    },
    { timeoutMs: 5000, intervalMs: 50 },
  );
  // Rewritten by the operator's resync: back.
  await writer.put(kept);
  await seen(c, kept.clientId);
});

test("a late or replayed delete notification does not drop a client that exists", async () => {
  const c = await cache();
  const client = clientRecord();
  await writer.put(client);
  await seen(c, client.clientId);
  await raw.publish(registryKeys.changes, JSON.stringify({ op: "delete", clientId: client.clientId, revision: 1 }));
  const marker = clientRecord();
  await writer.put(marker);
  await seen(c, marker.clientId);
  await c.settled();
  assert.ok(c.get(client.clientId), "still there");
  assert.equal(c.tombstone(client.clientId), undefined);
});

test("the periodic check loads a snapshot only when the revision moved (or every Nth period)", async () => {
  const c = await cache({ resyncIntervalMs: 50, fullResyncEvery: 1000 });
  const silent = clientRecord();
  // Written without a revision bump or a notification: the cheap check sees no change.
  await raw.hSet(registryKeys.clients, silent.clientId, sealed(silent));
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(c.get(silent.clientId), undefined);
  // The revision moves (a write whose notification was lost): the next check resyncs.
  await raw.incr(registryKeys.revision);
  await seen(c, silent.clientId);
});

test("a registry write and its change notification are one step in Redis (the PUBLISH is inside the write)", async () => {
  const monitor = raw.duplicate();
  await monitor.connect();
  const commands: string[] = [];
  await monitor.monitor((line) => commands.push(String(line)));
  // The command is the first quoted word of a MONITOR line (the script's EVAL names PUBLISH as an argument).
  const isPublish = (line: string) => /^\S+ \[[^\]]+\] "s?publish"/i.test(line);
  const record = clientRecord();
  await writer.put(record);
  await writer.delete(record.clientId, 99);
  await waitFor("the monitor to see both writes", async () => commands.filter(isPublish).length >= 2 || undefined, {
    timeoutMs: 5000,
    intervalMs: 5,
  });
  await monitor.close();
  // MONITOR marks a command run by a script with [<db> lua]; a PUBLISH issued after EXEC is a plain client command.
  const publishes = commands.filter(isPublish);
  for (const line of publishes) assert.match(line, /\[\d+ lua\]/, `published outside the write: ${line}`);
});
