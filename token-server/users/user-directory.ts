// A user directory of bcrypt htpasswd lines ("user:$2y$10$..."), for the password grant.
// Unknown users and wrong passwords must not be told apart, by answer or by time: an
// unknown user's password is compared with one of the directory's own hashes (and the
// answer is "no" whatever that says), so both paths cost one bcrypt comparison. Which
// hash is picked by a digest of the directory and the username: when the directory's
// users have different costs (hashes made over the years), unknown names spread over
// those costs as the real users do, and one name always costs the same, so a slow or
// fast answer says nothing about whether the name exists.
// RFC 6749 §4.3.2 and §10.10 ask the server to protect this endpoint against brute
// force; not telling who exists is part of that.
import { createHash } from "node:crypto";

/**
 * bcryptjs loads on the first password check, not with the server: most installations
 * never see a password grant or a sign-in, and a token server's memory is per replica.
 */
let bcryptModule: Promise<typeof import("bcryptjs")> | undefined;
const loadBcrypt = () => (bcryptModule ??= import("bcryptjs"));

export interface UserDirectory {
  users: ReadonlyMap<string, string>;
  /** The directory's identity for the password throttle: a digest of its entries, the same on every replica. */
  id: string;
  /** What an unknown user's password is compared with: one of this directory's hashes, or a synthetic one when it is empty. */
  dummyHashFor(username: string): string;
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
  // Sorted, so every replica (and every order of the same lines) agrees on both.
  const sorted = [...users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = createHash("sha256");
  for (const [name, hash] of sorted) digest.update(`${name}:${hash}\n`);
  const id = digest.digest("base64url").slice(0, 22);
  const hashes = sorted.map(([, hash]) => hash);
  const synthetic = `$2b$${DEFAULT_COST}$${"x".repeat(53)}`;
  return {
    users,
    id,
    dummyHashFor(username) {
      if (hashes.length === 0) return synthetic;
      const pick = createHash("sha256").update(id).update("\0").update(username).digest().readUInt32BE(0);
      return hashes[pick % hashes.length] as string;
    },
  };
}

/** True only for a known user with the right password; always one bcrypt comparison. */
export async function checkPassword(directory: UserDirectory, username: string, password: string): Promise<boolean> {
  const hash = directory.users.get(username);
  const bcrypt = (await loadBcrypt()).default;
  const matches = await bcrypt.compare(password, hash ?? directory.dummyHashFor(username));
  return matches && hash !== undefined;
}
