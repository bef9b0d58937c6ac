// The token fetcher's timing (bin/fetch): when it renews, how it retries, that it writes
// before the token on disk expires; on a fake clock, with a fake token endpoint.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { AccessToken } from "../../../bin/fetch/exchange.ts";
import { type Clock, keepFresh } from "../../../bin/fetch/fetcher.ts";
import { renewAt, retryDelay } from "../../../bin/fetch/schedule.ts";
import { writeAtomic } from "../../../bin/fetch/write-atomic.ts";

test("renewal at 80 % of the token's lifetime", () => {
  const cases: [number, number, number][] = [
    // obtained at, expires_in (s), renewed at
    [0, 3600, 2880_000],
    [1_000, 60, 1_000 + 48_000],
    [0, 1, 800],
    [0, 0, 800], // a server saying 0 is not a busy loop
  ];
  for (const [at, expiresIn, expected] of cases) assert.equal(renewAt(at, expiresIn), expected, `${expiresIn}s`);
});

test("retries back off 1, 2, 4 ... s, at most 30 s apart", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelay), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
});

/** A fake clock: sleep advances it; the fetcher stops once it would pass `until`. */
function fakeClock(until: number): Clock & { t: number; sleeps: number[] } {
  const clock = {
    t: 0,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      if (clock.t + ms > until) return false;
      clock.t += ms;
      return true;
    },
  };
  return clock;
}

test("the file always holds a token that has not expired, across several expiries", async () => {
  const clock = fakeClock(10 * 60_000);
  const writes: { at: number; token: string; expiresAt: number }[] = [];
  let issued = 0;
  const written = await keepFresh({
    clock,
    log: () => {},
    exchange: async (): Promise<AccessToken> => {
      clock.t += 200; // the request takes 200 ms
      issued += 1;
      return { accessToken: `token-${issued}`, expiresIn: 60 };
    },
    write: async (token) => {
      writes.push({ at: clock.t, token, expiresAt: clock.t - 200 + 60_000 });
    },
  });
  assert.equal(written, 13, "ten minutes of one-minute tokens renewed every 48 s");
  for (let i = 1; i < writes.length; i++) {
    const previous = writes[i - 1] as (typeof writes)[number];
    const next = writes[i] as (typeof writes)[number];
    assert.ok(next.at < previous.expiresAt, `token ${i + 1} written before token ${i} expired`);
    assert.equal(next.at - previous.at, 48_000, "renewed 48 s after the last one was obtained");
  }
});

test("a failing endpoint: the file is left alone, retried with backoff, then renewed", async () => {
  const clock = fakeClock(5 * 60_000);
  const outcomes = ["ok", "fail", "fail", "fail", "ok"];
  const written: string[] = [];
  await keepFresh({
    clock,
    log: () => {},
    exchange: async () => {
      const outcome = outcomes.shift() ?? "ok";
      if (outcome === "fail") throw new Error("invalid_client");
      return { accessToken: `t${clock.t}`, expiresIn: 60 };
    },
    write: async (token) => {
      written.push(token);
    },
  });
  assert.deepEqual(clock.sleeps.slice(0, 5), [48_000, 1000, 2000, 4000, 48_000]);
  assert.deepEqual(written.slice(0, 2), ["t0", "t55000"]);
});

test("the token file is replaced atomically, leaving no temporary file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-fetch-"));
  try {
    const path = join(dir, "token");
    await writeAtomic(path, "first");
    await writeAtomic(path, "second");
    assert.equal(readFileSync(path, "utf8"), "second");
    assert.deepEqual(readdirSync(dir), ["token"]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
