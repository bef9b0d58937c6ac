// Lock-out after repeated failures, for client authentication and for the password
// grant alike: failures are counted in the store (shared by replicas, a fixed window
// per key), and a key whose count passes the limit is locked until its window ends.
//
// Two ways to count, for two kinds of secret:
// - `reserve` counts an attempt *before* it is evaluated and gives the count back when
//   it succeeds. Human passwords are guessable, so the limit must bound how many guesses
//   are evaluated, and a burst of concurrent guesses must not all pass a check made
//   before any of them was counted: each guess takes a slot atomically (INCR in Redis,
//   so replicas share the slots), and only `limit` slots exist per window.
// - `recordFailure` counts after the fact. For 256-bit client secrets and signed client
//   assertions, where there is nothing to guess, and the success path stays off Redis.
//
// A lock learnt either way is remembered per process until the window ends, so a locked
// key costs no store call. The Redis store counts in process memory while Redis is down.
import { stateKeys } from "./state-keys.ts";
import type { Store } from "./store.ts";

/** An attempt that may be evaluated (`release` gives its slot back when it succeeded), or a lock. */
export type Reservation = { release(): Promise<void> } | { retryAfter: number };

/** Locks remembered per process before ended ones are swept. */
const MAX_REMEMBERED = 10_000;

export class Lockout {
  readonly #store: Store;
  readonly #limit: number;
  readonly #windowSeconds: number;
  readonly #lockedUntil = new Map<string, number>();

  constructor(store: Store, limit: number, windowSeconds: number) {
    this.#store = store;
    this.#limit = limit;
    this.#windowSeconds = windowSeconds;
  }

  /** Whether this process knows of any lock (ended ones included until looked up or swept). */
  get holdsLocks(): boolean {
    return this.#lockedUntil.size > 0;
  }

  /** Seconds until `key` is unlocked; undefined while it is not known to be locked. */
  retryAfter(key: string): number | undefined {
    const until = this.#lockedUntil.get(key);
    if (until === undefined) return undefined;
    const remaining = until - Date.now();
    if (remaining > 0) return Math.ceil(remaining / 1000);
    this.#lockedUntil.delete(key);
    return undefined;
  }

  /** Takes one of the window's `limit` slots before the attempt is evaluated. */
  async reserve(key: string): Promise<Reservation> {
    const known = this.retryAfter(key);
    if (known !== undefined) return { retryAfter: known };
    const storeKey = stateKeys.authFailures(key);
    const { count, resetInSeconds } = await this.#store.increment(storeKey, this.#windowSeconds);
    if (count > this.#limit) {
      this.#lock(key, resetInSeconds);
      return { retryAfter: resetInSeconds };
    }
    return { release: () => this.#store.decrement(storeKey) };
  }

  async recordFailure(key: string): Promise<void> {
    const { count, resetInSeconds } = await this.#store.increment(stateKeys.authFailures(key), this.#windowSeconds);
    if (count >= this.#limit) this.#lock(key, resetInSeconds);
  }

  #lock(key: string, seconds: number): void {
    // Keys include a source address, so many sources mean many locks: drop the ended ones.
    if (this.#lockedUntil.size >= MAX_REMEMBERED) {
      const now = Date.now();
      for (const [other, until] of this.#lockedUntil) if (until <= now) this.#lockedUntil.delete(other);
    }
    this.#lockedUntil.set(key, Date.now() + seconds * 1000);
  }
}
