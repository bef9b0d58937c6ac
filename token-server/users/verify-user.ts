// Verifying a person's username and password, the one way for both the password grant
// and the login page: the client's own user directory (identity mapping) or else the
// server-wide one (--users-file), behind the same failure throttle, so neither path is
// a way around the other.
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../request-context.ts";
import { defaultUsers } from "./default-users.ts";
import { checkPasswordThrottle, recordPasswordFailure } from "./password-throttle.ts";
import { checkPassword, type UserDirectory, userDirectory } from "./user-directory.ts";

const NOBODY = userDirectory([]);

/** The client's user directory: its own, else the server-wide one; undefined when it has none. */
export function userDirectoryOf(server: TokenServer, client: ClientRecord): UserDirectory | undefined {
  return server.clients.entry(client.clientId)?.users ?? defaultUsers(server.settings.usersFile);
}

/**
 * True for the right password of a known user. Throws the throttle's InvalidGrant
 * (with Retry-After) while the user or the client is locked out; counts every failure.
 * A client without a directory knows nobody (the same one bcrypt comparison is made).
 */
export async function verifyUser(
  server: TokenServer,
  client: ClientRecord,
  username: string,
  password: string,
): Promise<boolean> {
  checkPasswordThrottle(server.state, client.clientId, username);
  const ok = await checkPassword(userDirectoryOf(server, client) ?? NOBODY, username, password);
  if (!ok) await recordPasswordFailure(server.state, client.clientId, username);
  return ok;
}
