// Opaque access tokens' claims, by the SHA-256 of the token, for the token's life.
import { JsonRecords } from "./json-records.ts";
import { stateKeys } from "./state-keys.ts";
import type { Store } from "./store.ts";
import type { AccessTokenClaims } from "./token-records.ts";

export class OpaqueTokens extends JsonRecords<AccessTokenClaims> {
  constructor(store: Store) {
    super(store, stateKeys.opaqueToken);
  }
}
