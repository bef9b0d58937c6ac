// The storage primitive every token-state model is built on (state/*.ts): strings
// under keys with a TTL, set-if-absent, an atomic take, a counter in a fixed window (that
// can take one back),
// and sorted sets scored by expiry. Implemented for Redis (redis-store.ts) and for
// process memory (memory-store.ts); test/token-server/store-contract.test.ts holds
// both to one contract. Nothing here knows HTTP: a store that cannot answer throws
// StateUnavailable, and the endpoints' error handler (middleware/state-outage.ts) turns
// that into a 503 temporarily_unavailable in one place.

/** Thrown by a store that cannot answer now (not connected, timed out). */
export class StateUnavailable extends Error {
  override readonly name = "StateUnavailable";
}

export interface ScoredMember {
  member: string;
  score: number;
}

export interface Store {
  /** True while the store can answer; for /readyz and for fast fail-closed decisions. */
  readonly available: boolean;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Sets the key only when it does not exist; false when it did. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Atomically removes `key` and keeps its value under `spentKey` for
   * `spentTtlSeconds` (the two keys share a hash tag: one Redis Cluster slot): the first take gets the value (first: true); later takes get
   * the spent copy (first: false); undefined when neither exists.
   */
  take(key: string, spentKey: string, spentTtlSeconds: number): Promise<{ value: string; first: boolean } | undefined>;
  /** Counts one event in a fixed window of `windowSeconds` that starts with the first. */
  increment(key: string, windowSeconds: number): Promise<{ count: number; resetInSeconds: number }>;
  /**
   * Takes one event back from a window that still runs (an attempt counted before it
   * was evaluated, that turned out to succeed); never creates the key, never shortens it.
   */
  decrement(key: string): Promise<void>;
  /**
   * Adds members to a sorted set, drops those scored at or below `dropAtOrBelow`,
   * and keeps the set at least `ttlSeconds` (never shortens it). Atomically with that,
   * tells whether `guardKey` exists (true: it does). `key` and `guardKey` share a hash tag.
   */
  sortedSetAdd(
    key: string,
    members: ScoredMember[],
    ttlSeconds: number,
    options: { dropAtOrBelow: number; guardKey: string },
  ): Promise<boolean>;
  /** The members scored above `above`. */
  sortedSetRange(key: string, above: number): Promise<ScoredMember[]>;
  close(): Promise<void>;
}

/** A TTL as Redis takes it: whole seconds, at least one. */
export function ttlSeconds(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}
