// When the token fetcher asks again. Pure functions of the clock, so the decisions are
// unit-tested with a fake one (test/unit/bin/fetch-schedule.test.ts).
//
// A token is renewed once 80 % of its lifetime has passed (the kubelet's rule for the
// projected ServiceAccount token it hands us), so an application reading the file never
// reads one about to expire: with a 1 h token the file is renewed 12 min early, with a
// 1 min token 12 s early. A failed exchange is retried after 1, 2, 4 ... s, at most 30 s
// apart, while the token on disk still serves.

export const RENEW_AT_FRACTION = 0.8;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** Epoch ms at which a token obtained at `obtainedAtMs`, living `expiresInSeconds`, is renewed. */
export function renewAt(obtainedAtMs: number, expiresInSeconds: number): number {
  const lifetimeMs = Math.max(1, expiresInSeconds) * 1000;
  return obtainedAtMs + Math.floor(lifetimeMs * RENEW_AT_FRACTION);
}

/** How long to wait after the `failures`-th failure in a row (1-based). */
export function retryDelay(failures: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
}
