// Signing a user in on the login page: the same user directory and the same failure
// throttle as the password grant (token-server/users/), so the login form is no way
// around either. The directory is the client's own (identity mapping) or else the
// server-wide one; a session remembers which, so a client with another directory
// asks for a new sign-in.
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../request-context.ts";
import { defaultUsers } from "../users/default-users.ts";
import { checkPasswordThrottle, recordPasswordFailure } from "../users/password-throttle.ts";
import { checkPassword, userDirectory } from "../users/user-directory.ts";

const NO_USERS: readonly string[] = [];

export function directoryName(client: ClientRecord): string {
  return client.identityMapping?.users ? `client:${client.clientId}` : "server";
}

function directoryLines(server: TokenServer, client: ClientRecord): readonly string[] {
  return client.identityMapping?.users ?? defaultUsers(server.settings.usersFile) ?? NO_USERS;
}

export function userExists(server: TokenServer, client: ClientRecord, username: string): boolean {
  return userDirectory(directoryLines(server, client)).users.has(username);
}

/**
 * True for the right password. Throws the throttle's InvalidGrant (with Retry-After)
 * while the user or the client is locked out; counts every failure.
 */
export async function verifyUser(
  server: TokenServer,
  client: ClientRecord,
  username: string,
  password: string,
): Promise<boolean> {
  checkPasswordThrottle(server.state, client.clientId, username);
  const ok = await checkPassword(userDirectory(directoryLines(server, client)), username, password);
  if (!ok) await recordPasswordFailure(server.state, client.clientId, username);
  return ok;
}
