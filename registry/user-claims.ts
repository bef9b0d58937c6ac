// The user directory's claims (the users Secret's `users.yaml` beside `htpasswd`): what
// OpenID Connect tells a client about a person, per username. Parsed and checked here,
// when the operator compiles the record, so a typo is a condition on the OAuthClient
// rather than a claim that silently never appears; the token server only selects from
// the result by scope (token-server/users/user-claims.ts).
//
//   ada:
//     name: Ada Lovelace
//     email: ada@example.com
//     email_verified: true
//     groups: [engineering, admins]
import { parse } from "yaml";

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
const STRING_CLAIMS = [...PROFILE_STRING_CLAIMS, "email", "phone_number"] as const;
const BOOLEAN_CLAIMS = ["email_verified", "phone_number_verified"] as const;
const NUMBER_CLAIMS = ["updated_at"] as const;
const LIST_CLAIMS = ["groups"] as const;

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

/** Throws an Error whose message says which user and claim is wrong (the caller adds the field). */
export function parseUserClaims(raw: string): Record<string, UserClaims> {
  let document: unknown;
  try {
    document = parse(raw, { maxAliasCount: 0 });
  } catch (error) {
    throw new Error(`is not valid YAML or JSON: ${(error as Error).message.split("\n")[0]}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== "object" || Array.isArray(document))
    throw new Error("must map each username to its claims (ada: {name: Ada Lovelace, email: ...})");
  // fromEntries: a username like "__proto__" stays an own property, never a prototype.
  return Object.fromEntries(
    Object.entries(document).map(([username, value]) => {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new Error(`user "${username}": the claims must be a mapping (name: ..., email: ...)`);
      return [username, checkedClaims(username, value as Record<string, unknown>)];
    }),
  );
}

function checkedClaims(username: string, value: Record<string, unknown>): UserClaims {
  const claims: [string, UserClaims[string]][] = [];
  for (const [name, claim] of Object.entries(value)) {
    const where = `user "${username}", claim "${name}"`;
    if ((STRING_CLAIMS as readonly string[]).includes(name)) {
      if (typeof claim !== "string" || claim === "") throw new Error(`${where} must be a non-empty string`);
    } else if ((BOOLEAN_CLAIMS as readonly string[]).includes(name)) {
      if (typeof claim !== "boolean") throw new Error(`${where} must be true or false`);
    } else if ((NUMBER_CLAIMS as readonly string[]).includes(name)) {
      if (typeof claim !== "number" || !Number.isInteger(claim) || claim < 0)
        throw new Error(`${where} must be seconds since the epoch`);
    } else if ((LIST_CLAIMS as readonly string[]).includes(name)) {
      if (!Array.isArray(claim) || claim.some((item) => typeof item !== "string" || item === ""))
        throw new Error(`${where} must be a list of names`);
    } else {
      throw new Error(`${where} is not one this directory supports (${USER_CLAIM_NAMES.join(", ")})`);
    }
    claims.push([name, claim as UserClaims[string]]);
  }
  return Object.fromEntries(claims);
}
