// The store primitive against a real redis-server (the contract: store-contract.ts;
// the unit tier runs it against process memory), and the token-state models on top.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RedisStore } from "../../token-server/state/redis-store.ts";
import type { RefreshTokenRecord } from "../../token-server/state/token-records.ts";
import { TokenState } from "../../token-server/state/token-state.ts";
import { waitFor } from "../harness/processes.ts";
import { removeRedisDir, startRedis, type TestRedis } from "../harness/redis.ts";
import { storeContract } from "./store-contract.ts";

let redis: TestRedis;
let store: RedisStore;

before(async () => {
  redis = await startRedis();
  store = RedisStore.start({ url: redis.url });
  await waitFor("the store to connect", async () => store.available || undefined);
});
after(async () => {
  await store?.close();
  await redis?.stop();
  if (redis) await removeRedisDir(redis);
});

storeContract(
  "redis",
  () => store,
  (ms) => sleep(ms),
);

test("models on the Redis store: a refresh-token record round-trips; a family revoked once lists its live members", async () => {
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
});

test("a store that cannot answer throws StateUnavailable (the endpoints turn it into a 503)", async () => {
  const down = RedisStore.start({ url: "redis://127.0.0.1:1" });
  await assert.rejects(down.get("x"), { name: "StateUnavailable" });
  await down.close();
});
