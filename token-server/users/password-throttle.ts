// Password guesses are limited per user and per source, in the token state so replicas
// count together (state/lockout.ts). Each attempt takes a slot *before* its bcrypt
// comparison and gives it back when the password was right, so the limit bounds how
// many guesses are evaluated, however many arrive at once on however many replicas.
// Past a limit the attempt is refused unevaluated, right password or not, with
// `invalid_grant` and Retry-After until the window ends.
//
// - Per user: 5 guesses per 5 minutes for one username of one directory, from anywhere
//   (so distributing the guesses does not help). Keyed by the directory (its content
//   digest, users/user-directory.ts) and the username, not by client: clients sharing a
//   directory (the server-wide file, or the same Secret) share the limit, rather than
//   each adding 5 guesses. Unknown usernames are counted exactly like known ones, so
//   the lock tells nobody who exists. Locking one named user out is possible for anyone
//   who knows the name; that is the price of bounding guesses at all (RFC 6749 §10.10),
//   and it is as narrow as it can be.
// - Per source: 50 failures per 5 minutes from one source address (source-address.ts)
//   against one directory, whichever usernames: a spray of made-up names locks the
//   sprayer out, not every user of the client.
import { InvalidGrant } from "../errors.ts";
import { Lockout } from "../state/lockout.ts";
import type { TokenState } from "../state/token-state.ts";

/** Defaults: 5 guesses of one user per 5 minutes; 50 failures from one source per 5 minutes. */
export const PASSWORD_THROTTLE = { userLimit: 5, sourceLimit: 50, windowSeconds: 300 } as const;

interface Lockouts {
  user: Lockout;
  source: Lockout;
}

const lockouts = new WeakMap<TokenState, Lockouts>();

function lockoutsOf(state: TokenState): Lockouts {
  let found = lockouts.get(state);
  if (!found) {
    const { userLimit, sourceLimit, windowSeconds } = PASSWORD_THROTTLE;
    found = {
      user: new Lockout(state.store, userLimit, windowSeconds),
      source: new Lockout(state.store, sourceLimit, windowSeconds),
    };
    lockouts.set(state, found);
  }
  return found;
}

export interface PasswordAttempt {
  /** The directory's identity (UserDirectory.id). */
  directory: string;
  username: string;
  /** Where the request came from (source-address.ts). */
  source: string;
}

/**
 * Reserves the attempt's slots: throws the throttle's InvalidGrant while the user or the
 * source is locked out; otherwise returns `succeeded`, to call when the password was right.
 */
export async function reservePasswordAttempt(
  state: TokenState,
  attempt: PasswordAttempt,
): Promise<{ succeeded(): Promise<void> }> {
  const { user, source } = lockoutsOf(state);
  const bySource = await source.reserve(`password-source:${attempt.directory}:${attempt.source}`);
  if ("retryAfter" in bySource) throw locked("source", bySource.retryAfter);
  const byUser = await user.reserve(`password-user:${attempt.directory}:${attempt.username}`);
  // A guess refused for its user is still a failure of its source.
  if ("retryAfter" in byUser) throw locked("user", byUser.retryAfter);
  return { succeeded: () => Promise.all([bySource.release(), byUser.release()]).then(() => {}) };
}

function locked(which: "user" | "source", retryAfter: number): InvalidGrant {
  const error = new InvalidGrant(
    `too many failed sign-in attempts; retry after ${retryAfter} seconds`,
    `password throttle: ${which} locked`,
  );
  error.headers["retry-after"] = String(retryAfter);
  return error;
}
