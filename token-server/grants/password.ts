// RFC 6749 §4.3: the resource owner's username and password, checked against the
// client's user directory (identity mapping `users`, bcrypt htpasswd lines from a
// Secret) or else the server-wide one (--users-file). A wrong password and an unknown
// user get the same answer after the same work (users/user-directory.ts); failures are
// throttled per user and per source (users/password-throttle.ts). The token's sub is
// the username. RFC 9700 §2.4 says not to use this grant; it exists for clients
// migrating from a platform that had it, registered explicitly per client.
import { resolveAudience } from "../audience.ts";
import { InvalidGrant, InvalidRequest } from "../errors.ts";
import { refuseClientIdentity, USERS_SOURCE, vouchedFor } from "../identity-source.ts";
import { authenticatedClient, authenticatedEntry, type Ctx, param, requiredParam } from "../request-context.ts";
import { resolveScope } from "../scope.ts";
import { sourceAddress } from "../source-address.ts";
import { userDirectoryOf, verifyUser } from "../users/verify-user.ts";
import { refusePublicClient } from "./confidential-only.ts";
import type { Grant, GrantOutcome } from "./grant.ts";

/** bcrypt reads at most 72 bytes of a password; longer input only costs time. */
const MAX_PASSWORD_BYTES = 1024;
const MAX_USERNAME_LENGTH = 256;

export const password: Grant = {
  parameters: new Set(["username", "password", "scope", "resource", "audience"]),
  multiValued: new Set(["resource", "audience"]),
  refreshToken: "registered",
  async handler(ctx: Ctx): Promise<GrantOutcome> {
    const client = authenticatedClient(ctx);
    const { server, params } = ctx.state;
    refusePublicClient(ctx, "password");
    const username = requiredParam(ctx, "username");
    const secret = param(ctx, "password");
    if (secret === undefined) throw new InvalidRequest('the "password" parameter is required');
    if (username.length > MAX_USERNAME_LENGTH || Buffer.byteLength(secret) > MAX_PASSWORD_BYTES)
      throw new InvalidRequest("the username or password is too long");
    const scope = resolveScope(authenticatedEntry(ctx), param(ctx, "scope"));
    const audience = resolveAudience(client, params.get("resource"), params.get("audience"), server.settings.issuer);
    if (!userDirectoryOf(server, client)) throw new InvalidGrant("no user directory is configured for this client");
    refuseClientIdentity(client, username);
    if (!(await verifyUser(server, client, { username, password: secret, source: sourceAddress(ctx) })))
      throw new InvalidGrant("the username or password is wrong");
    return { ...vouchedFor(client, USERS_SOURCE, username), scope, audience };
  },
};
