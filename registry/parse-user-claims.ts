// Parses and checks the user directory's claims file (`users.yaml`, YAML or JSON) against
// the vocabulary in user-claims.ts. The operator's side only: the YAML parser stays out
// of the token server.
import { parse } from "yaml";
import {
  BOOLEAN_CLAIMS,
  LIST_CLAIMS,
  NUMBER_CLAIMS,
  STRING_CLAIMS,
  USER_CLAIM_NAMES,
  type UserClaims,
} from "./user-claims.ts";

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
