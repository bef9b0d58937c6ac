// The store primitive's contract (token-server/state/store.ts), one body of tests run
// against every implementation: Redis (test/token-server/store-contract.test.ts) and
// process memory (the unit tier, on a fake clock). `elapse` lets time pass: a real
// wait for Redis, a clock tick for memory.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import type { Store } from "../../token-server/state/store.ts";

export function storeContract(name: string, store: () => Store, elapse: (ms: number) => Promise<void>): void {
  const key = (what: string) => `contract:${what}:${randomUUID()}`;
  /** Keys used in one step share a hash tag (store.ts): a Redis Cluster refuses them otherwise (CROSSSLOT). */
  const pair = (a: string, b: string): [string, string] => {
    const tag = randomUUID();
    return [`contract:{${tag}}:${a}`, `contract:{${tag}}:${b}`];
  };
  const now = () => Math.floor(Date.now() / 1000);

  describe(`${name} store`, () => {
    test("get and set with a TTL; delete", async () => {
      const s = store();
      const [a, b] = [key("a"), key("b")];
      await s.set(a, "one", 60);
      await s.set(b, "two", 1);
      assert.equal(await s.get(a), "one");
      assert.equal(await s.exists(b), true);
      await elapse(1100);
      assert.equal(await s.get(b), undefined, "expired");
      assert.equal(await s.exists(b), false);
      await s.delete(a);
      assert.equal(await s.get(a), undefined);
    });

    test("set-if-absent: only the first wins, until the value expires", async () => {
      const s = store();
      const k = key("once");
      assert.equal(await s.setIfAbsent(k, "1", 1), true);
      assert.equal(await s.setIfAbsent(k, "1", 1), false);
      await elapse(1100);
      assert.equal(await s.setIfAbsent(k, "1", 1), true);
    });

    test("take: the first gets the value, later ones the spent copy, which expires", async () => {
      const s = store();
      const [k, spent] = pair("code", "spent");
      assert.equal(await s.take(k, spent, 1), undefined);
      await s.set(k, "record", 60);
      const takes = await Promise.all([s.take(k, spent, 1), s.take(k, spent, 1)]);
      assert.deepEqual(takes.map((t) => t?.first).sort(), [false, true], "exactly one first take");
      assert.ok(takes.every((t) => t?.value === "record"));
      assert.equal(await s.get(k), undefined);
      await elapse(1100);
      assert.equal(await s.take(k, spent, 1), undefined);
    });

    test("increment counts in a fixed window that starts with the first event", async () => {
      const s = store();
      const k = key("count");
      assert.deepEqual(await s.increment(k, 1), { count: 1, resetInSeconds: 1 });
      assert.equal((await s.increment(k, 1)).count, 2);
      await elapse(1100);
      assert.equal((await s.increment(k, 1)).count, 1, "a new window");
    });

    test("decrement takes one back from a running window, and never creates a counter", async () => {
      const s = store();
      const [k, absent] = [key("count"), key("absent")];
      await s.increment(k, 60);
      await s.increment(k, 60);
      await s.decrement(k);
      assert.equal((await s.increment(k, 60)).count, 2);
      await s.decrement(absent);
      assert.equal(await s.exists(absent), false);
      assert.deepEqual(await s.increment(absent, 1), { count: 1, resetInSeconds: 1 }, "a window of its own");
    });

    test("sorted sets: members accumulate, expired ones drop, the guard is read in the same step", async () => {
      const s = store();
      const [set, guard] = pair("family", "revoked");
      const added = await s.sortedSetAdd(
        set,
        [
          { member: "rt:a", score: now() + 600 },
          { member: "jwt:old", score: now() - 5 },
        ],
        600,
        { dropAtOrBelow: now(), guardKey: guard },
      );
      assert.equal(added, false, "no guard yet");
      await s.sortedSetAdd(set, [{ member: "jwt:b", score: now() + 300 }], 600, {
        dropAtOrBelow: now(),
        guardKey: guard,
      });
      const live = await s.sortedSetRange(set, now());
      assert.deepEqual(live.map((m) => m.member).sort(), ["jwt:b", "rt:a"]);
      await s.set(guard, "1", 600);
      assert.equal(
        await s.sortedSetAdd(set, [{ member: "rt:late", score: now() + 600 }], 600, {
          dropAtOrBelow: now(),
          guardKey: guard,
        }),
        true,
      );
      assert.equal((await s.sortedSetRange(set, now())).length, 3);
      assert.deepEqual(await s.sortedSetRange(key("none"), now()), []);
    });

    test("a sorted set's life only grows", async () => {
      const s = store();
      const [set, guard] = pair("grow", "g");
      const member = [{ member: "m", score: now() + 3600 }];
      await s.sortedSetAdd(set, member, 60, { dropAtOrBelow: 0, guardKey: guard });
      await s.sortedSetAdd(set, member, 1, { dropAtOrBelow: 0, guardKey: guard });
      await elapse(1100);
      assert.equal((await s.sortedSetRange(set, 0)).length, 1, "the shorter TTL did not shorten it");
    });
  });
}
