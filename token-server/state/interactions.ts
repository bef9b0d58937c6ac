// Short records of the browser side of the authorization endpoint: login sessions,
// pending authorization requests, remembered consent.
import { JsonRecords } from "./json-records.ts";
import { stateKeys } from "./state-keys.ts";
import type { Store } from "./store.ts";
import type { InteractionRecordKind } from "./token-records.ts";

export class Interactions {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  put(kind: InteractionRecordKind, id: string, value: object, ttlSeconds: number): Promise<void> {
    return this.#of(kind).put(id, value, ttlSeconds);
  }

  async get<T extends object>(kind: InteractionRecordKind, id: string): Promise<T | undefined> {
    return (await this.#of(kind).get(id)) as T | undefined;
  }

  delete(kind: InteractionRecordKind, id: string): Promise<void> {
    return this.#of(kind).delete(id);
  }

  #of(kind: InteractionRecordKind): JsonRecords<object> {
    return new JsonRecords(this.#store, (id) => stateKeys.interactionRecord(kind, id));
  }
}
