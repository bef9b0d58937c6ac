// Records kept as JSON under a key per ID, with a TTL: what most token-state models
// are (opaque tokens, refresh-token records, authorization codes, interactions).
import type { Store } from "./store.ts";

export class JsonRecords<T> {
  readonly #store: Store;
  readonly #key: (id: string) => string;

  constructor(store: Store, key: (id: string) => string) {
    this.#store = store;
    this.#key = key;
  }

  put(id: string, value: T, ttlSeconds: number): Promise<void> {
    return this.#store.set(this.#key(id), JSON.stringify(value), ttlSeconds);
  }

  async get(id: string): Promise<T | undefined> {
    const raw = await this.#store.get(this.#key(id));
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  delete(id: string): Promise<void> {
    return this.#store.delete(this.#key(id));
  }
}
