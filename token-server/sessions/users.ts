// The login page's view of users: which directory a session was signed in against,
// and whether a user exists. Verifying a password is users/verify-user.ts's, shared
// with the password grant.
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../request-context.ts";
import { userDirectoryOf } from "../users/verify-user.ts";

export function directoryName(client: ClientRecord): string {
  return client.identityMapping?.users ? `client:${client.clientId}` : "server";
}

export function userExists(server: TokenServer, client: ClientRecord, username: string): boolean {
  return userDirectoryOf(server, client)?.users.has(username) ?? false;
}
