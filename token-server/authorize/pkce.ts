// RFC 7636 with the S256 method only (RFC 9700 §2.1.1: `plain` gives nothing when the
// request can be read). A verifier is 43 to 128 unreserved characters; a challenge
// is BASE64URL(SHA-256(verifier)), always 43 characters.
import { createHash, timingSafeEqual } from "node:crypto";

export const PKCE_METHODS = ["S256"] as const;
export const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export function s256(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

/** Whether the verifier hashes to the challenge, compared in constant time. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  const got = Buffer.from(s256(verifier));
  const want = Buffer.from(challenge);
  return got.length === want.length && timingSafeEqual(got, want);
}
