// Token state: everything about tokens that is not in the token itself, as small
// models on one store primitive (store.ts): Redis in a cluster (redis-store.ts),
// process memory standalone (memory-store.ts). Every value carries a TTL so nothing
// outlives the token it is about. The key scheme is state-keys.ts, shared by both stores.
import { AuthorizationCodes } from "./authorization-codes.ts";
import { Interactions } from "./interactions.ts";
import { OpaqueTokens } from "./opaque-tokens.ts";
import { RefreshStore } from "./refresh-store.ts";
import { ReplayGuard } from "./replay-guard.ts";
import { RevocationList } from "./revocation-list.ts";
import type { Store } from "./store.ts";

export class TokenState {
  readonly store: Store;
  readonly replay: ReplayGuard;
  readonly revocations: RevocationList;
  readonly opaque: OpaqueTokens;
  readonly refresh: RefreshStore;
  readonly codes: AuthorizationCodes;
  readonly interactions: Interactions;

  constructor(store: Store) {
    this.store = store;
    this.replay = new ReplayGuard(store);
    this.revocations = new RevocationList(store);
    this.opaque = new OpaqueTokens(store);
    this.refresh = new RefreshStore(store);
    this.codes = new AuthorizationCodes(store);
    this.interactions = new Interactions(store);
  }

  /** True while the store can answer; used by /readyz and for fast fail-closed decisions. */
  get available(): boolean {
    return this.store.available;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
