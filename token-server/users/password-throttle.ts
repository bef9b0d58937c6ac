// Failed password attempts are counted per user (of a client) and per client, in the
// token state so replicas count together (state.countFailure, a fixed window). Past
// the limit, every attempt for that user (or client) is refused until the window
// ends, right password or not, with `invalid_grant` and Retry-After. Unknown usernames
// are counted exactly like known ones, so the throttle tells nobody who exists.
// As in client-auth/failure-limiter.ts, the lock is learnt per process from the
// shared count, so checking it costs no Redis call.
import { InvalidGrant } from "../errors.ts";
import type { TokenState } from "../state/token-state.ts";

/** Defaults: 5 failures of one user per 5 minutes; 50 failures across a client's users per 5 minutes. */
export const PASSWORD_THROTTLE = { userLimit: 5, clientLimit: 50, windowSeconds: 300 } as const;

const locks = new WeakMap<TokenState, Map<string, number>>();

function lockMap(state: TokenState): Map<string, number> {
  let map = locks.get(state);
  if (!map) {
    map = new Map();
    locks.set(state, map);
  }
  return map;
}

const userKey = (clientId: string, username: string) => `password-user:${clientId}:${username}`;
const clientKey = (clientId: string) => `password-client:${clientId}`;

/** Throws while the user or the client is locked out. */
export function checkPasswordThrottle(state: TokenState, clientId: string, username: string): void {
  const map = lockMap(state);
  const now = Date.now();
  for (const key of [userKey(clientId, username), clientKey(clientId)]) {
    const until = map.get(key);
    if (until === undefined) continue;
    if (until <= now) {
      map.delete(key);
      continue;
    }
    const retryAfter = Math.ceil((until - now) / 1000);
    const error = new InvalidGrant(
      `too many failed sign-in attempts; retry after ${retryAfter} seconds`,
      `password throttle: ${key.startsWith("password-user") ? "user" : "client"} locked`,
    );
    error.headers["retry-after"] = String(retryAfter);
    throw error;
  }
}

export async function recordPasswordFailure(state: TokenState, clientId: string, username: string): Promise<void> {
  const { userLimit, clientLimit, windowSeconds } = PASSWORD_THROTTLE;
  const map = lockMap(state);
  const [user, client] = await Promise.all([
    state.countFailure(userKey(clientId, username), windowSeconds),
    state.countFailure(clientKey(clientId), windowSeconds),
  ]);
  const now = Date.now();
  if (user.count >= userLimit) map.set(userKey(clientId, username), now + user.resetInSeconds * 1000);
  if (client.count >= clientLimit) map.set(clientKey(clientId), now + client.resetInSeconds * 1000);
}
