// Verifying a person's username and password, the one way for both the password grant
// and the login page: the client's own user directory (identity mapping) or else the
// server-wide one (--users-file), behind the same failure throttle, so neither path is
// a way around the other.
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../request-context.ts";
import { defaultUsers } from "./default-users.ts";
import { reservePasswordAttempt } from "./password-throttle.ts";
import { checkPassword, type UserDirectory, userDirectory } from "./user-directory.ts";

const NOBODY = userDirectory([]);

/** The client's user directory: its own, else the server-wide one; undefined when it has none. */
export function userDirectoryOf(server: TokenServer, client: ClientRecord): UserDirectory | undefined {
  return server.clients.entry(client.clientId)?.users ?? defaultUsers(server.settings.usersFile);
}

/**
 * True for the right password of a known user. Throws the throttle's InvalidGrant
 * (with Retry-After) while the user or the request's source is locked out; every
 * attempt is counted before its comparison, and given back when it succeeds. A client
 * without a directory knows nobody (the same one bcrypt comparison is made).
 */
export async function verifyUser(
  server: TokenServer,
  client: ClientRecord,
  credentials: { username: string; password: string; source: string },
): Promise<boolean> {
  const { username, password, source } = credentials;
  const directory = userDirectoryOf(server, client) ?? NOBODY;
  const attempt = await reservePasswordAttempt(server.state, { directory: directory.id, username, source });
  // A directory user named like the client's own identity never signs in (identity-source.ts).
  const namesClient = username === client.clientId || username === client.subject;
  const ok = (await checkPassword(directory, username, password)) && !namesClient;
  if (ok) await attempt.succeeded();
  return ok;
}
