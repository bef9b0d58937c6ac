import type { ClientRecord } from "../../registry/record.ts";
import { verifySecret } from "../../registry/secret-hash.ts";

/**
 * True when `secret` matches any live stored secret: the current one, or a previous
 * one inside its rotation grace window. Every live hash is checked, each in constant
 * time, so the time taken does not tell which one matched or how far a guess got.
 */
export function checkSecret(record: ClientRecord, secret: string, now = Date.now()): boolean {
  let matched = false;
  for (const stored of record.secrets) {
    if (stored.expiresAt !== undefined && stored.expiresAt <= now) continue;
    if (verifySecret(secret, stored.hash)) matched = true;
  }
  return matched;
}
