// Failed password attempts are counted per user (of a client) and per client, in the
// token state so replicas count together (state/lockout.ts, a fixed window). Past
// the limit, every attempt for that user (or client) is refused until the window
// ends, right password or not, with `invalid_grant` and Retry-After. Unknown usernames
// are counted exactly like known ones, so the throttle tells nobody who exists.
// The same lockout as client authentication's (client-auth/failure-limiter.ts).
import { InvalidGrant } from "../errors.ts";
import { Lockout } from "../state/lockout.ts";
import type { TokenState } from "../state/token-state.ts";

/** Defaults: 5 failures of one user per 5 minutes; 50 failures across a client's users per 5 minutes. */
export const PASSWORD_THROTTLE = { userLimit: 5, clientLimit: 50, windowSeconds: 300 } as const;

interface Lockouts {
  user: Lockout;
  client: Lockout;
}

const lockouts = new WeakMap<TokenState, Lockouts>();

function lockoutsOf(state: TokenState): Lockouts {
  let found = lockouts.get(state);
  if (!found) {
    const { userLimit, clientLimit, windowSeconds } = PASSWORD_THROTTLE;
    found = {
      user: new Lockout(state.store, userLimit, windowSeconds),
      client: new Lockout(state.store, clientLimit, windowSeconds),
    };
    lockouts.set(state, found);
  }
  return found;
}

const userKey = (clientId: string, username: string) => `password-user:${clientId}:${username}`;
const clientKey = (clientId: string) => `password-client:${clientId}`;

/** Throws while the user or the client is locked out. */
export function checkPasswordThrottle(state: TokenState, clientId: string, username: string): void {
  const { user, client } = lockoutsOf(state);
  for (const [which, lockout, key] of [
    ["user", user, userKey(clientId, username)],
    ["client", client, clientKey(clientId)],
  ] as const) {
    const retryAfter = lockout.retryAfter(key);
    if (retryAfter === undefined) continue;
    const error = new InvalidGrant(
      `too many failed sign-in attempts; retry after ${retryAfter} seconds`,
      `password throttle: ${which} locked`,
    );
    error.headers["retry-after"] = String(retryAfter);
    throw error;
  }
}

export async function recordPasswordFailure(state: TokenState, clientId: string, username: string): Promise<void> {
  const { user, client } = lockoutsOf(state);
  await Promise.all([user.recordFailure(userKey(clientId, username)), client.recordFailure(clientKey(clientId))]);
}
