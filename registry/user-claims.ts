// The user directory's claims (the users Secret's `users.yaml` beside `htpasswd`): what
// OpenID Connect tells a client about a person, per username. This is the vocabulary
// (which claims, of which type, released by which scope); parse-user-claims.ts parses
// and checks the file when the operator compiles the record, so a typo is a condition
// on the OAuthClient rather than a claim that silently never appears; the token server
// only selects from the result by scope (token-server/users/user-claims.ts) and so
// never loads the YAML parser.
//
//   ada:
//     name: Ada Lovelace
//     email: ada@example.com
//     email_verified: true
//     groups: [engineering, admins]
/** OpenID Connect Core §5.1 standard claims this directory can carry, by type, plus `groups`. */
const PROFILE_STRING_CLAIMS = [
  "name",
  "given_name",
  "family_name",
  "middle_name",
  "nickname",
  "preferred_username",
  "profile",
  "picture",
  "website",
  "gender",
  "birthdate",
  "zoneinfo",
  "locale",
] as const;
export const STRING_CLAIMS = [...PROFILE_STRING_CLAIMS, "email", "phone_number"] as const;
export const BOOLEAN_CLAIMS = ["email_verified", "phone_number_verified"] as const;
export const NUMBER_CLAIMS = ["updated_at"] as const;
export const LIST_CLAIMS = ["groups"] as const;

/**
 * The claims each scope releases (Core §5.4); `groups` is not in Core, but it is what
 * Kubernetes' and most platforms' OIDC clients read for authorization.
 */
export const SCOPE_CLAIMS: ReadonlyMap<string, readonly string[]> = new Map([
  ["profile", [...PROFILE_STRING_CLAIMS, "updated_at"]],
  ["email", ["email", "email_verified"]],
  ["phone", ["phone_number", "phone_number_verified"]],
  ["groups", ["groups"]],
]);

export const USER_CLAIM_NAMES: readonly string[] = [
  ...STRING_CLAIMS,
  ...BOOLEAN_CLAIMS,
  ...NUMBER_CLAIMS,
  ...LIST_CLAIMS,
];

/** One user's claims; every value checked to have its claim's JSON type. */
export type UserClaims = Record<string, string | boolean | number | string[]>;
