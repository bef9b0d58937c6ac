// Short records of the browser side of the authorization endpoint: login sessions,
// pending authorization requests, remembered consent.
import { stateKeys } from "./keys.ts";
import type { Store } from "./store.ts";
import type { InteractionRecordKind } from "./token-records.ts";

export class Interactions {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  put(kind: InteractionRecordKind, id: string, value: object, ttlSeconds: number): Promise<void> {
    return this.#store.set(stateKeys.interactionRecord(kind, id), JSON.stringify(value), ttlSeconds);
  }

  async get<T extends object>(kind: InteractionRecordKind, id: string): Promise<T | undefined> {
    const raw = await this.#store.get(stateKeys.interactionRecord(kind, id));
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  delete(kind: InteractionRecordKind, id: string): Promise<void> {
    return this.#store.delete(stateKeys.interactionRecord(kind, id));
  }
}
