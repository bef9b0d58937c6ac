// The token-state additions for the authorization endpoint, the same contract in Redis
// and in memory (standalone mode): a code is taken once, a second take finds the spent
// copy, an unknown code finds nothing; the code key lives 60 s; interaction records.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createClient, type RedisClientType } from "redis";
import { MemoryTokenState } from "../../../token-server/state/memory-state.ts";
import { RedisTokenState } from "../../../token-server/state/redis-state.ts";
import type { AuthorizationCodeRecord } from "../../../token-server/state/token-records.ts";
import type { TokenState } from "../../../token-server/state/token-state.ts";
import { waitFor } from "../../harness/processes.ts";
import { removeRedisDir, startRedis, type TestRedis } from "../../harness/redis.ts";

const record: AuthorizationCodeRecord = {
  clientId: "app",
  redirectUri: "https://app.example/callback",
  redirectUriInRequest: true,
  codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
  scope: ["orders.read"],
  audience: ["https://orders.example"],
  sub: "ada",
  authTime: 1_700_000_000,
  familyId: "family-1",
  issuedAt: 1_700_000_000,
  expiresAt: 1_700_000_060,
};

let redis: TestRedis;
let redisState: RedisTokenState;
let inspect: RedisClientType;
before(async () => {
  redis = await startRedis();
  redisState = RedisTokenState.start({ url: redis.url });
  await waitFor("token state to connect", async () => redisState.available || undefined);
  inspect = createClient({ url: redis.url });
  await inspect.connect();
});
after(async () => {
  await inspect?.close();
  await redisState?.close();
  await redis?.stop();
  if (redis) await removeRedisDir(redis);
});

for (const [name, make] of [
  ["redis", () => redisState],
  ["memory", () => new MemoryTokenState()],
] as const) {
  describe(`${name} token state`, () => {
    test("a code is taken once; later takes see the spent copy; unknown codes nothing", async () => {
      const state: TokenState = make();
      const hash = `h-${name}`;
      await state.codes.put(hash, record, 60);
      assert.deepEqual(await state.codes.take(hash, 3600), { firstUse: true, record });
      assert.deepEqual(await state.codes.take(hash, 3600), { firstUse: false, record });
      assert.equal(await state.codes.take("never-issued", 3600), undefined);
      // Twenty concurrent takes of a fresh code: exactly one first use.
      await state.codes.put(`${hash}-race`, record, 60);
      const takes = await Promise.all(Array.from({ length: 20 }, () => state.codes.take(`${hash}-race`, 3600)));
      assert.equal(takes.filter((t) => t?.firstUse).length, 1);
      assert.equal(takes.filter((t) => t?.firstUse === false).length, 19);
    });

    test("interaction records: put, get, delete", async () => {
      const state: TokenState = make();
      await state.interactions.put("session", `s-${name}`, { csrfKey: "k", expiresAt: 1 }, 60);
      assert.deepEqual(await state.interactions.get("session", `s-${name}`), { csrfKey: "k", expiresAt: 1 });
      assert.equal(await state.interactions.get("consent", `s-${name}`), undefined, "kinds are separate");
      await state.interactions.delete("session", `s-${name}`);
      assert.equal(await state.interactions.get("session", `s-${name}`), undefined);
    });
  });
}

test("in Redis: the code lives 60 s under its hash, the spent copy as long as asked, in one cluster slot", async () => {
  await redisState.codes.put("ttl-check", record, 60);
  const key = "tollgate:state:v1:code:{ttl-check}";
  assert.equal(await inspect.ttl(key), 60);
  await redisState.codes.take("ttl-check", 7200);
  assert.equal(await inspect.exists(key), 0);
  assert.equal(await inspect.ttl(`${key}:spent`), 7200);
});
