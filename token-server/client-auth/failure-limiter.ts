// Repeated authentication failures of one client lock it out until the counting
// window ends: `limit` failures within `windowSeconds` (defaults in config.ts: 10 per
// 60 s). While locked, every attempt for that client, right or wrong, gets 401
// `invalid_client` with a description saying why and a Retry-After header: RFC 6749
// has no rate-limit error, and invalid_client is the code clients already handle for
// "authentication did not succeed".
//
// Counted and locked by state/lockout.ts (shared with the password throttle). Only
// known clients are counted: unknown IDs have nothing to guess.
import { InvalidClient } from "../errors.ts";
import { Lockout } from "../state/lockout.ts";
import type { Store } from "../state/store.ts";

export class FailureLimiter {
  readonly #lockout: Lockout;
  readonly #onLockout: (clientId: string) => void;

  /** `onLockout` hears of each client that a failure locks out (metrics.ts counts them). */
  constructor(store: Store, limit: number, windowSeconds: number, onLockout: (clientId: string) => void = () => {}) {
    this.#lockout = new Lockout(store, limit, windowSeconds);
    this.#onLockout = onLockout;
  }

  /** Throws when the client is locked out. */
  check(clientId: string): void {
    const retryAfter = this.#lockout.retryAfter(clientId);
    if (retryAfter !== undefined) throw locked(retryAfter);
  }

  async recordFailure(clientId: string): Promise<void> {
    const wasLocked = this.#lockout.retryAfter(clientId) !== undefined;
    await this.#lockout.recordFailure(clientId);
    if (!wasLocked && this.#lockout.retryAfter(clientId) !== undefined) this.#onLockout(clientId);
  }
}

function locked(retryAfterSeconds: number): InvalidClient {
  const error = new InvalidClient(
    `too many failed authentication attempts for this client; retry after ${retryAfterSeconds} seconds`,
    "client locked out by the failure limit",
  );
  error.headers["retry-after"] = String(retryAfterSeconds);
  return error;
}
