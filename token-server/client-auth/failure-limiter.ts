// Repeated authentication failures of one client lock it out until the counting
// window ends: `limit` failures within `windowSeconds` (defaults in config.ts: 10 per
// 60 s). While locked, every attempt for that client, right or wrong, gets 401
// `invalid_client` with a description saying why and a Retry-After header: RFC 6749
// has no rate-limit error, and invalid_client is the code clients already handle for
// "authentication did not succeed".
//
// The count is shared through the token state (Redis), so replicas count together;
// the lock itself is remembered per process, learnt when a failure pushes the shared
// count over the limit. Checking the lock costs no Redis call, so the success path
// stays off Redis. Only known clients are counted: unknown IDs have nothing to guess.
import { InvalidClient } from "../errors.ts";
import type { TokenState } from "../state/token-state.ts";

export class FailureLimiter {
  readonly #state: TokenState;
  readonly #limit: number;
  readonly #windowSeconds: number;
  readonly #lockedUntil = new Map<string, number>();

  constructor(state: TokenState, limit: number, windowSeconds: number) {
    this.#state = state;
    this.#limit = limit;
    this.#windowSeconds = windowSeconds;
  }

  /** Throws when the client is locked out. */
  check(clientId: string): void {
    const until = this.#lockedUntil.get(clientId);
    if (until === undefined) return;
    const remaining = until - Date.now();
    if (remaining <= 0) {
      this.#lockedUntil.delete(clientId);
      return;
    }
    throw locked(Math.ceil(remaining / 1000));
  }

  async recordFailure(clientId: string): Promise<void> {
    const { count, resetInSeconds } = await this.#state.countFailure(clientId, this.#windowSeconds);
    if (count >= this.#limit) this.#lockedUntil.set(clientId, Date.now() + resetInSeconds * 1000);
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
