// Authorization codes, by the SHA-256 of the code: put for the code's life, taken
// exactly once (a spent copy stays behind so a replay can be recognised).
import { JsonRecords } from "./json-records.ts";
import { stateKeys } from "./state-keys.ts";
import type { Store } from "./store.ts";
import type { AuthorizationCodeRecord, TakenAuthorizationCode } from "./token-records.ts";

export class AuthorizationCodes {
  readonly #store: Store;
  readonly #codes: JsonRecords<AuthorizationCodeRecord>;

  constructor(store: Store) {
    this.#store = store;
    this.#codes = new JsonRecords(store, stateKeys.authorizationCode);
  }

  put(hash: string, record: AuthorizationCodeRecord, ttlSeconds: number): Promise<void> {
    return this.#codes.put(hash, record, ttlSeconds);
  }

  /**
   * Takes a code atomically: the first call gets it (firstUse) and leaves a spent copy
   * for `spentTtlSeconds`; any later call gets that copy (a replay); undefined for a
   * code never issued or expired unused.
   */
  async take(hash: string, spentTtlSeconds: number): Promise<TakenAuthorizationCode | undefined> {
    const taken = await this.#store.take(
      stateKeys.authorizationCode(hash),
      stateKeys.authorizationCodeSpent(hash),
      spentTtlSeconds,
    );
    return taken && { firstUse: taken.first, record: JSON.parse(taken.value) as AuthorizationCodeRecord };
  }
}
