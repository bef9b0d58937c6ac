// Repeated authentication failures of one client *from one source* lock that source out
// of that client until the counting window ends: `limit` failures within
// `windowSeconds` (defaults in config.ts: 10 per 60 s). Keyed by client and source
// (source-address.ts), because a lock keyed by the client alone is a lever anyone who
// knows a client_id can pull: ten wrong secrets a minute would keep the real client
// out. Client secrets are 256-bit random and assertions are signed, so there is
// nothing to guess, and spreading guesses over many sources gains an attacker nothing;
// the lock exists to shed a misbehaving source cheaply, and a client authenticating
// from anywhere else keeps working. While locked, every attempt from that source for
// that client, right or wrong, gets 401
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

  /** Throws when the client is locked out for this source. */
  check(clientId: string, source: string): void {
    // The usual case, no lock at all: no key to build for every request.
    if (!this.#lockout.holdsLocks) return;
    const retryAfter = this.#lockout.retryAfter(key(clientId, source));
    if (retryAfter !== undefined) throw locked(retryAfter);
  }

  async recordFailure(clientId: string, source: string): Promise<void> {
    const lockKey = key(clientId, source);
    const wasLocked = this.#lockout.retryAfter(lockKey) !== undefined;
    await this.#lockout.recordFailure(lockKey);
    if (!wasLocked && this.#lockout.retryAfter(lockKey) !== undefined) this.#onLockout(clientId);
  }
}

const key = (clientId: string, source: string) => `client:${clientId}:${source}`;

function locked(retryAfterSeconds: number): InvalidClient {
  const error = new InvalidClient(
    `too many failed authentication attempts for this client; retry after ${retryAfterSeconds} seconds`,
    "client locked out by the failure limit",
  );
  error.headers["retry-after"] = String(retryAfterSeconds);
  return error;
}
