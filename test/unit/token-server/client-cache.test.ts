// The client cache's handling of registry changes, on a scripted registry: what each
// kind of notification and snapshot does to the cache. The Redis-backed behaviour
// (pub/sub, reconnects) stays in test/token-server/client-cache.test.ts.

import assert from "node:assert/strict";
import { afterEach, mock, test } from "node:test";
import type { ClientRecord, RegistryChange, RegistryReader, RegistrySnapshot } from "../../../registry/record.ts";
import { ClientCache } from "../../../token-server/client-cache.ts";
import { testLogger } from "../../harness/log-capture.ts";
import { record } from "../support/records.ts";

/** A registry whose contents the test sets, and whose notifications the test sends. */
class ScriptedRegistry implements RegistryReader {
  clients = new Map<string, ClientRecord>();
  tombstones = new Map<string, number>();
  currentRevision = 0;
  initialised = true;
  listener: ((change: RegistryChange) => void) | undefined;
  snapshots = 0;

  async snapshot(): Promise<RegistrySnapshot> {
    this.snapshots += 1;
    return {
      revision: this.currentRevision,
      initialised: this.initialised,
      clients: new Map([...this.clients].map(([id, r]) => [id, structuredClone(r)])),
      tombstones: new Map(this.tombstones),
    };
  }
  async subscribe(onChange: (change: RegistryChange) => void): Promise<() => Promise<void>> {
    this.listener = onChange;
    return async () => {
      this.listener = undefined;
    };
  }
  async get(clientId: string): Promise<ClientRecord | undefined> {
    const found = this.clients.get(clientId);
    return found && structuredClone(found);
  }
  async revision(): Promise<number> {
    return this.currentRevision;
  }
  /** Changes the registry and notifies with `revision` (default: the next one). */
  change(op: "put" | "delete", client: ClientRecord, revision = this.currentRevision + 1, notify = true): void {
    if (op === "put") this.clients.set(client.clientId, client);
    else this.clients.delete(client.clientId);
    this.currentRevision = Math.max(this.currentRevision, revision);
    if (notify) this.listener?.({ op, clientId: client.clientId, revision });
  }
}

const log = testLogger("client-cache-unit", { level: "error" });
const caches: ClientCache[] = [];
afterEach(async () => {
  mock.timers.reset();
  for (const cache of caches.splice(0)) await cache.stop();
});

async function setup(
  resetGraceMs = 60_000,
  initialised = true,
): Promise<{ registry: ScriptedRegistry; cache: ClientCache }> {
  const registry = new ScriptedRegistry();
  registry.initialised = initialised;
  const cache = await ClientCache.start(registry, { log, resetGraceMs, resyncIntervalMs: 3_600_000 });
  caches.push(cache);
  return { registry, cache };
}

test("a put with the next revision re-reads the record into a new object", async () => {
  const { registry, cache } = await setup();
  const a = record();
  registry.change("put", a);
  await cache.settled();
  const first = cache.get(a.clientId);
  assert.equal(first?.displayName, a.displayName);
  registry.change("put", { ...a, displayName: "renamed" });
  await cache.settled();
  const second = cache.get(a.clientId);
  assert.equal(second?.displayName, "renamed");
  // Derived per-client data (allowed scopes, keys) is keyed on the object: a change must replace it.
  assert.notEqual(second, first);
  assert.equal(cache.revision, 2);
  assert.equal(registry.snapshots, 1, "no full resync for consecutive revisions");
});

test("a delete drops the record and leaves a tombstone", async () => {
  mock.timers.enable({ apis: ["Date"], now: 1_800_000_000_000 });
  const { registry, cache } = await setup();
  const a = record();
  registry.change("put", a);
  registry.change("delete", a);
  await cache.settled();
  assert.equal(cache.get(a.clientId), undefined);
  assert.equal(cache.tombstone(a.clientId), 1_800_000_000);
});

test("a revision gap (a missed message) loads a full snapshot", async () => {
  const { registry, cache } = await setup();
  const [a, b] = [record(), record()];
  registry.change("put", a, 1, false);
  registry.change("put", b, 2);
  await cache.settled();
  assert.ok(cache.get(a.clientId), "the missed change arrives with the snapshot");
  assert.ok(cache.get(b.clientId));
  assert.equal(registry.snapshots, 2);
});

test("a late delete message for a client re-created since keeps the client", async () => {
  const { registry, cache } = await setup();
  const a = record();
  registry.change("put", a);
  await cache.settled();
  registry.clients.set(a.clientId, { ...a, generation: 2 }); // deleted and re-created before the message is handled
  registry.currentRevision = 3;
  registry.listener?.({ op: "delete", clientId: a.clientId, revision: 2 });
  registry.listener?.({ op: "put", clientId: a.clientId, revision: 3 });
  await cache.settled();
  assert.equal(cache.get(a.clientId)?.generation, 2);
  assert.equal(cache.tombstone(a.clientId), undefined);
});

test("a registry that comes back empty keeps the missing clients for the grace period, then drops them", async () => {
  mock.timers.enable({ apis: ["Date"], now: 1_800_000_000_000 });
  const { registry, cache } = await setup(60_000);
  const [a, b, gone] = [record(), record(), record()];
  registry.change("put", a);
  registry.change("put", b);
  registry.change("put", gone);
  await cache.settled();
  // Redis restarted empty; the operator has rewritten `a` and deleted `gone` since.
  registry.clients = new Map([[a.clientId, a]]);
  registry.tombstones = new Map([[gone.clientId, 1_800_000_000]]);
  registry.currentRevision = 1;
  await cache.resync();
  assert.ok(cache.get(a.clientId));
  assert.ok(cache.get(b.clientId), "kept through the grace period");
  assert.equal(cache.get(gone.clientId), undefined, "a tombstoned client is not kept");
  mock.timers.tick(60_000);
  await cache.resync();
  assert.equal(cache.get(b.clientId), undefined, "dropped once the grace period ends");
  assert.ok(cache.get(a.clientId));
});

test("a registry rewritten within the grace period replaces the kept copy", async () => {
  const { registry, cache } = await setup();
  const a = record();
  registry.change("put", a);
  await cache.settled();
  registry.clients = new Map();
  registry.currentRevision = 0;
  await cache.resync();
  assert.ok(cache.get(a.clientId));
  registry.change("put", { ...a, displayName: "rewritten" });
  await cache.settled();
  assert.equal(cache.get(a.clientId)?.displayName, "rewritten");
});

test("each record loads with its entry: allowed scopes and user directory follow a change of the record", async () => {
  const { registry, cache } = await setup();
  const a = record({ scopes: ["one"] });
  registry.change("put", a);
  await cache.settled();
  assert.deepEqual([...(cache.entry(a.clientId)?.allowedScopes ?? [])], ["one"]);
  assert.equal(cache.entry(a.clientId)?.users, undefined);
  registry.change("put", {
    ...a,
    scopes: ["one", "two"],
    identityMapping: {
      jwtIssuers: [],
      samlIdps: [],
      claimMappings: [],
      audiences: [],
      maxAssertionAgeSeconds: 60,
      users: [`alice:$2b$04$${"a".repeat(53)}`],
    },
  });
  await cache.settled();
  const entry = cache.entry(a.clientId);
  assert.deepEqual([...(entry?.allowedScopes ?? [])], ["one", "two"]);
  assert.deepEqual([...(entry?.users?.users.keys() ?? [])], ["alice"]);
  assert.equal(entry?.record, cache.get(a.clientId));
});

test("a server that finds no built registry is not ready until the operator marks it initialised", async () => {
  const { registry, cache } = await setup(60_000, false);
  assert.deepEqual([cache.ready, cache.state], [false, "uninitialised"]);
  const a = record();
  registry.change("put", a); // the operator's rebuild under way: records arrive, still not ready
  await cache.settled();
  assert.deepEqual([cache.ready, cache.state], [false, "uninitialised"]);
  registry.initialised = true;
  registry.currentRevision += 1;
  registry.listener?.({ op: "initialised", clientId: "", revision: registry.currentRevision });
  await cache.settled();
  assert.deepEqual([cache.ready, cache.state], [true, "loaded"]);
  assert.ok(cache.get(a.clientId));
});

test("a server that held a built registry stays ready from memory when Redis loses it, and says so", async () => {
  const { registry, cache } = await setup();
  const a = record();
  registry.change("put", a);
  await cache.settled();
  registry.clients = new Map();
  registry.initialised = false;
  registry.currentRevision = 0;
  await cache.resync();
  assert.deepEqual([cache.ready, cache.state], [true, "lost"]);
  assert.ok(cache.get(a.clientId), "served from memory meanwhile");
  registry.clients = new Map([[a.clientId, a]]);
  registry.initialised = true;
  registry.currentRevision = 2;
  registry.listener?.({ op: "initialised", clientId: "", revision: 2 });
  await cache.settled();
  assert.deepEqual([cache.ready, cache.state], [true, "loaded"]);
});

test("current(): a client whose change is still being read is found; an unknown one is not, without a wait beyond it", async () => {
  const { registry, cache } = await setup();
  const a = record();
  // The re-read of the changed record is slow (a Redis round trip under load).
  let release: () => void = () => {};
  let reading: () => void = () => {};
  const readStarted = new Promise<void>((resolve) => {
    reading = resolve;
  });
  const read = registry.get.bind(registry);
  registry.get = async (clientId) => {
    reading();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return read(clientId);
  };
  registry.change("put", a);
  await readStarted;
  assert.equal(cache.get(a.clientId), undefined, "the change is received, its record not yet read");
  const found = cache.current(a.clientId);
  release();
  assert.equal((await found)?.clientId, a.clientId);
  registry.get = read;
  assert.equal(await cache.current("nobody"), undefined);
});

test("current(): waits at most maxWaitMs for changes under way (a Redis that does not answer)", async () => {
  const { registry, cache } = await setup();
  registry.get = () => new Promise(() => {});
  registry.change("put", record());
  const started = Date.now();
  assert.equal(await cache.current("nobody", 50), undefined);
  assert.ok(Date.now() - started < 1000);
});
