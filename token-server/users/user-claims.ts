// What OpenID Connect tells a client about the signed-in user, by the scope it was
// granted (Core §5.4): `profile` the name claims, `email` email and email_verified,
// `phone` phone_number and phone_number_verified, `groups` (not in Core, but what
// Kubernetes' and most platforms' OIDC clients read for authorization) the groups.
// The values come from the client's user directory's claims (registry/user-claims.ts);
// the server-wide --users-file directory carries none, so its users have only `sub`.
import type { ClientRecord } from "../../registry/record.ts";
import { SCOPE_CLAIMS, type UserClaims } from "../../registry/user-claims.ts";

/** The scopes that release claims, and `openid` itself: what discovery lists besides a client's own scopes. */
export const OPENID_SCOPES = ["openid", ...SCOPE_CLAIMS.keys()];

/** The user's claims that the granted scope releases; none for a user without claims. */
export function claimsForScope(client: ClientRecord, sub: string, scope: readonly string[]): UserClaims {
  const directory = client.identityMapping?.userClaims;
  const all = directory && Object.hasOwn(directory, sub) ? directory[sub] : undefined;
  if (!all) return {};
  const released: UserClaims = {};
  for (const value of scope)
    for (const name of SCOPE_CLAIMS.get(value) ?? []) {
      const claim = all[name];
      if (claim !== undefined) released[name] = claim;
    }
  return released;
}
