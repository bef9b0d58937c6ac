// The token-state additions for refresh tokens, one contract run against both
// implementations: Redis (a real redis-server) and process memory (standalone mode).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { MemoryTokenState } from "../../token-server/state/memory-state.ts";
import { RedisTokenState } from "../../token-server/state/redis-state.ts";
import type { RefreshTokenRecord, TokenState } from "../../token-server/state/token-state.ts";
import { waitFor } from "../harness/processes.ts";
import { removeRedisDir, startRedis, type TestRedis } from "../harness/redis.ts";

let redis: TestRedis;
const states: Record<string, TokenState> = {};

before(async () => {
  redis = await startRedis();
  const redisState = RedisTokenState.start({ url: redis.url });
  await waitFor("token state to connect", async () => redisState.available || undefined);
  states.redis = redisState;
  states.memory = new MemoryTokenState();
});
after(async () => {
  for (const state of Object.values(states)) await state.close();
  await redis?.stop();
  if (redis) await removeRedisDir(redis);
});

const now = () => Math.floor(Date.now() / 1000);

for (const name of ["redis", "memory"]) {
  describe(`${name} token state`, () => {
    test("refresh-token records: put, get, expire, delete", async () => {
      const state = states[name] as TokenState;
      const record: RefreshTokenRecord = {
        clientId: "c",
        familyId: randomUUID(),
        sub: "alice",
        scope: ["a"],
        audience: ["x"],
        claims: { email: "a@example.com" },
        grantType: "password",
        authTime: now(),
        issuedAt: now(),
        expiresAt: now() + 60,
      };
      await state.putRefreshToken("h1", record, 60);
      assert.deepEqual(await state.getRefreshToken("h1"), record);
      await state.putRefreshToken("h2", record, 1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal(await state.getRefreshToken("h2"), undefined);
      await state.deleteRefreshToken("h1");
      assert.equal(await state.getRefreshToken("h1"), undefined);
    });

    test("families: members accumulate, expired ones are dropped, revocation returns the live ones once", async () => {
      const state = states[name] as TokenState;
      const family = randomUUID();
      assert.equal(await state.isFamilyRevoked(family), false);
      assert.equal(
        await state.addFamilyMembers(
          family,
          [
            { id: "rt:a", expiresAt: now() + 600 },
            { id: "jwt:old", expiresAt: now() - 5 },
          ],
          600,
        ),
        true,
      );
      assert.equal(await state.addFamilyMembers(family, [{ id: "jwt:b", expiresAt: now() + 300 }], 600), true);
      const members = await state.revokeFamily(family, 600);
      assert.deepEqual(members.map((m) => m.id).sort(), ["jwt:b", "rt:a"]);
      assert.equal(await state.isFamilyRevoked(family), true);
      // A member added after revocation is told so, so the issuer can take it back.
      assert.equal(await state.addFamilyMembers(family, [{ id: "rt:late", expiresAt: now() + 600 }], 600), false);
    });
  });
}
