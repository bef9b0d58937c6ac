// Opaque access tokens' claims, by the SHA-256 of the token, for the token's life.
import { stateKeys } from "./keys.ts";
import type { Store } from "./store.ts";
import type { AccessTokenClaims } from "./token-records.ts";

export class OpaqueTokens {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  put(hash: string, claims: AccessTokenClaims, ttlSeconds: number): Promise<void> {
    return this.#store.set(stateKeys.opaqueToken(hash), JSON.stringify(claims), ttlSeconds);
  }

  async get(hash: string): Promise<AccessTokenClaims | undefined> {
    const raw = await this.#store.get(stateKeys.opaqueToken(hash));
    return raw === undefined ? undefined : (JSON.parse(raw) as AccessTokenClaims);
  }

  delete(hash: string): Promise<void> {
    return this.#store.delete(stateKeys.opaqueToken(hash));
  }
}
