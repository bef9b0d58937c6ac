// Scope (RFC 6749 §3.3): space-delimited NQCHAR tokens. The granted scope is the
// requested one when every requested value is allowed, else the whole request is
// refused; nothing requested means the client's default scopes.
import type { ClientEntry } from "./client-entry.ts";
import { InvalidRequest, InvalidScope } from "./errors.ts";

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The scope values granted, in request order without duplicates; empty when none. */
export function resolveScope(
  { record, allowedScopes: allowed }: Pick<ClientEntry, "record" | "allowedScopes">,
  requested: string | undefined,
): string[] {
  if (requested === undefined) return record.defaultScopes;
  const granted: string[] = [];
  const refused: string[] = [];
  for (const value of requested.split(" ")) {
    if (!SCOPE_TOKEN.test(value))
      throw new InvalidRequest("scope must be space-delimited scope tokens (RFC 6749 §3.3)");
    if (!allowed.has(value)) refused.push(`"${value}"`);
    else if (!granted.includes(value)) granted.push(value);
  }
  if (refused.length > 0) throw new InvalidScope(`this client may not request scope ${refused.join(", ")}`);
  return granted;
}
