// Lock-out after repeated failures, for client authentication and for the password
// grant alike: failures are counted in the store (shared by replicas, a fixed window
// per key), and a key whose count reaches the limit is locked until its window ends.
// The lock itself is remembered per process, learnt when a failure pushes the shared
// count over the limit, so checking it costs no store call and the success path stays
// off Redis. The Redis store counts in process memory while Redis is down.
import { stateKeys } from "./state-keys.ts";
import type { Store } from "./store.ts";

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

  /** Seconds until `key` is unlocked; undefined while it is not locked. */
  retryAfter(key: string): number | undefined {
    const until = this.#lockedUntil.get(key);
    if (until === undefined) return undefined;
    const remaining = until - Date.now();
    if (remaining > 0) return Math.ceil(remaining / 1000);
    this.#lockedUntil.delete(key);
    return undefined;
  }

  async recordFailure(key: string): Promise<void> {
    const { count, resetInSeconds } = await this.#store.increment(stateKeys.authFailures(key), this.#windowSeconds);
    if (count >= this.#limit) this.#lockedUntil.set(key, Date.now() + resetInSeconds * 1000);
  }
}
