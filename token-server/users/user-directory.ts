// A user directory of bcrypt htpasswd lines ("user:$2y$10$..."), for the password grant.
// Unknown users and wrong passwords must not be told apart, by answer or by time: an
// unknown user's password is compared with one of the directory's own hashes (and the
// answer is "no" whatever that says), so both paths cost the same bcrypt comparison.
// RFC 6749 §4.3.2 and §10.10 ask the server to protect this endpoint against brute
// force; not telling who exists is part of that.
import bcrypt from "bcryptjs";

export interface UserDirectory {
  users: ReadonlyMap<string, string>;
  /** What an unknown user's password is compared with: a hash of this directory, or a synthetic one when it is empty. */
  dummyHash: string;
}

const HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const DEFAULT_COST = "10";

/**
 * Parses htpasswd lines; lines that are not bcrypt entries are skipped. Done once per
 * source: with the client's entry (client-entry.ts), or per change of the server-wide
 * file (default-users.ts).
 */
export function userDirectory(lines: readonly string[]): UserDirectory {
  const users = new Map<string, string>();
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    // bcrypt's $2y$ (htpasswd -B) is $2b$ under another name; bcryptjs knows $2a$/$2b$.
    const hash = line.slice(colon + 1).replace(/^\$2y\$/, "$2b$");
    if (colon <= 0 || !HASH.test(hash)) continue;
    if (!users.has(name)) users.set(name, hash);
  }
  const [first] = users.values();
  return { users, dummyHash: first ?? `$2b$${DEFAULT_COST}$${"x".repeat(53)}` };
}

/** True only for a known user with the right password; always one bcrypt comparison. */
export async function checkPassword(directory: UserDirectory, username: string, password: string): Promise<boolean> {
  const hash = directory.users.get(username);
  const matches = await bcrypt.compare(password, hash ?? directory.dummyHash);
  return matches && hash !== undefined;
}
