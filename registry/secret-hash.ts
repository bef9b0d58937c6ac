// Client secrets are 256-bit random values (or set by a person editing the Secret),
// so a salted SHA-256 and a constant-time compare protect them: a slow hash guards
// low-entropy passwords and would cap client-credentials throughput for nothing.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const SCHEME = "sha256";

/** "sha256$<salt>$<digest>", both base64url. */
export function hashSecret(secret: string, salt = randomBytes(16).toString("base64url")): string {
  return `${SCHEME}$${salt}$${digest(salt, secret).toString("base64url")}`;
}

export function verifySecret(secret: string, stored: string): boolean {
  const [scheme, salt, expected] = stored.split("$");
  if (scheme !== SCHEME || salt === undefined || expected === undefined) return false;
  const want = Buffer.from(expected, "base64url");
  const got = digest(salt, secret);
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * Prefix of generated client secrets. Like the access and refresh tokens' `tgat_` and
 * `tgrt_`, it lets secret scanners (and test/log-leak/) recognise a leaked secret in a
 * repository or a log; secrets set by a person keep whatever form they have.
 */
export const CLIENT_SECRET_PREFIX = "tgcs_";

/** A new client secret: `tgcs_` and 256 bits from the CSPRNG, base64url (48 characters). */
export function generateSecret(): string {
  return `${CLIENT_SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;
}

function digest(salt: string, secret: string): Buffer {
  return createHash("sha256").update(salt).update("\0").update(secret).digest();
}
