// The store primitive against real Redis in every topology Tollgate supports: one
// redis-server, a Sentinel group and a Redis Cluster (the contract: store-contract.ts; the
// unit tier runs it against process memory), and the token-state models on top.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RedisStore } from "../../token-server/state/redis-store.ts";
import { stateKeys } from "../../token-server/state/state-keys.ts";
import type { RefreshTokenRecord } from "../../token-server/state/token-records.ts";
import { TokenState } from "../../token-server/state/token-state.ts";
import { waitFor } from "../harness/processes.ts";
import { startTopology, TOPOLOGIES } from "../harness/redis.ts";
import { storeContract } from "./store-contract.ts";

for (const topology of TOPOLOGIES) {
  describe(`Redis ${topology}`, () => {
    let redis: Awaited<ReturnType<typeof startTopology>>;
    let store: RedisStore;

    before(async () => {
      redis = await startTopology(topology);
      store = RedisStore.start({ url: redis.url });
      await waitFor("the store to connect", async () => store.available || undefined);
    });
    after(async () => {
      await store?.close();
      await redis?.stop();
    });

    storeContract(
      `redis ${topology}`,
      () => store,
      (ms) => sleep(ms),
    );

    test("models: a refresh-token record round-trips; a family revoked once lists its live members", () =>
      models(store));
  });
}

async function models(store: RedisStore): Promise<void> {
  const state = new TokenState(store);
  const now = Math.floor(Date.now() / 1000);
  const record: RefreshTokenRecord = {
    clientId: "c",
    familyId: randomUUID(),
    sub: "alice",
    scope: ["a"],
    audience: ["x"],
    claims: { email: "a@example.com" },
    grantType: "password",
    authTime: now,
    issuedAt: now,
    expiresAt: now + 60,
  };
  await state.refresh.put("h1", record, 60);
  assert.deepEqual(await state.refresh.get("h1"), record);
  assert.equal(await state.refresh.addFamilyMembers(record.familyId, [{ id: "rt:h1", expiresAt: now + 60 }], 60), true);
  assert.deepEqual(await state.refresh.revokeFamily(record.familyId, 60), [{ id: "rt:h1", expiresAt: now + 60 }]);
  assert.equal(await state.refresh.isFamilyRevoked(record.familyId), true);
  assert.equal(
    await state.refresh.addFamilyMembers(record.familyId, [{ id: "jwt:x", expiresAt: now + 60 }], 60),
    false,
  );

  // A family started before the upgrade that gave its keys a hash tag: its members are
  // still taken back when it is revoked afterwards.
  const before = randomUUID();
  const legacy = stateKeys.legacyFamilyMembers(before);
  await store.sortedSetAdd(legacy, [{ member: "rt:old", score: now + 60 }], 60, { dropAtOrBelow: 0, guardKey: legacy });
  await state.refresh.addFamilyMembers(before, [{ id: "rt:new", expiresAt: now + 60 }], 60);
  assert.deepEqual((await state.refresh.revokeFamily(before, 60)).map((m) => m.id).sort(), ["rt:new", "rt:old"]);
}

test("a store that cannot answer throws StateUnavailable (the endpoints turn it into a 503)", async () => {
  const down = RedisStore.start({ url: "redis://127.0.0.1:1" });
  await assert.rejects(down.get("x"), { name: "StateUnavailable" });
  await down.close();
});
