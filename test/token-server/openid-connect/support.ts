// Shared parts of the OpenID Connect tests: a client whose user directory carries
// claims, and the relying party's side of a sign-in done with openid-client in its
// OIDC mode (discovery at /.well-known/openid-configuration, nonce, ID token checks).
import type { ClientRecord } from "../../../registry/record.ts";
import type { UserClaims } from "../../../registry/user-claims.ts";
import { codeClient, USER, USERS } from "../authorization-code/support.ts";
import { identityMapping } from "../fixtures.ts";

export const REDIRECT_URI = "https://app.example/callback";
export const LOGOUT_URI = "https://app.example/signed-out";

export const ADA_CLAIMS: UserClaims = {
  name: "Ada Lovelace",
  given_name: "Ada",
  family_name: "Lovelace",
  email: "ada@example.com",
  email_verified: true,
  groups: ["engineering", "admins"],
};

/** A confidential code-flow client allowed the OpenID scopes, its users with claims (grace has none). */
export function oidcClient(overrides: Partial<ClientRecord> = {}): ClientRecord & { secret: string } {
  return codeClient({
    displayName: "Orders Dashboard",
    scopes: ["openid", "profile", "email", "groups", "orders.read"],
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [LOGOUT_URI],
    skipConsent: false,
    identityMapping: identityMapping({ users: USERS, userClaims: { [USER]: ADA_CLAIMS } }),
    ...overrides,
  });
}
