// Revoked JWT access tokens, by jti, until the token would have expired anyway.
import { stateKeys } from "./state-keys.ts";
import type { Store } from "./store.ts";

export class RevocationList {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  revoke(jti: string, ttlSeconds: number): Promise<void> {
    return this.#store.set(stateKeys.revokedJti(jti), "1", ttlSeconds);
  }

  isRevoked(jti: string): Promise<boolean> {
    return this.#store.exists(stateKeys.revokedJti(jti));
  }
}
