// One-time values: a client assertion's or a bearer assertion's ID, a rotated-out
// refresh token. Spent once, for as long as the value could still be presented.
import { stateKeys } from "./state-keys.ts";
import type { Store } from "./store.ts";

export class ReplayGuard {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Marks `id` spent in `namespace` for `ttlSeconds`; false when it was spent already (a replay). */
  useOnce(namespace: string, id: string, ttlSeconds: number): Promise<boolean> {
    return this.#store.setIfAbsent(stateKeys.used(namespace, id), "1", ttlSeconds);
  }

  /** Whether `id` is spent in `namespace`, without spending it. */
  isUsed(namespace: string, id: string): Promise<boolean> {
    return this.#store.exists(stateKeys.used(namespace, id));
  }
}
