// The token state in Redis (redis-store.ts says how it behaves while Redis is down).
import { RedisStore, type RedisStoreOptions } from "./redis-store.ts";
import { TokenState } from "./token-state.ts";

export class RedisTokenState extends TokenState {
  /** Resolves at once; the connection is made (and remade) in the background. */
  static start(options: RedisStoreOptions): RedisTokenState {
    return new RedisTokenState(RedisStore.start(options));
  }
}
