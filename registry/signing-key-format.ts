// The signing-key format, shared by the operator (which creates and rotates the
// Secret) and the token server (which mounts and reads it).
//
// A signing-key directory (a Kubernetes Secret mounted as files) holds up to three
// files, each one private JWK as JSON (RFC 7517), with "kid", "alg" and "use": "sig":
//
//   current.jwk   required: signs every new token
//   next.jwk      optional: published in the JWKS before it becomes current, so
//                 verifiers have it cached by the time tokens signed with it arrive
//   previous.jwk  optional: published after it stopped signing, until the tokens it
//                 signed have expired
//
// Rotation by the operator: previous <- current <- next <- generateSigningKey(alg).
// "kid" is the RFC 7638 thumbprint of the public key. Allowed "alg": ES256 (default),
// EdDSA (Ed25519), RS256, PS256 (RSA 2048).
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

export const SIGNING_ALGORITHMS = ["ES256", "EdDSA", "RS256", "PS256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = "ES256";

export const KEY_FILES = { current: "current.jwk", next: "next.jwk", previous: "previous.jwk" } as const;
export type KeySlot = keyof typeof KEY_FILES;

/** A private signing JWK as stored in a key file. */
export interface SigningJwk extends JWK {
  kid: string;
  alg: SigningAlgorithm;
  use: "sig";
}

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly unknown[]).includes(value);
}

/** A new private signing JWK, ready to be written to a key file with serializeSigningKey. */
export async function generateSigningKey(alg: SigningAlgorithm = DEFAULT_SIGNING_ALGORITHM): Promise<SigningJwk> {
  const options = alg === "EdDSA" ? { crv: "Ed25519", extractable: true } : { extractable: true, modulusLength: 2048 };
  const { privateKey } = await generateKeyPair(alg, options);
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { ...jwk, kid, alg, use: "sig" };
}

export function serializeSigningKey(jwk: SigningJwk): string {
  return `${JSON.stringify(jwk)}\n`;
}

/** Parses a key file; throws with a message that says what is wrong. */
export function parseSigningKey(text: string, where: string): SigningJwk {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not JSON (expected one private JWK)`);
  }
  const jwk = value as Partial<SigningJwk>;
  if (typeof jwk !== "object" || jwk === null || typeof jwk.kty !== "string")
    throw new Error(`${where}: not a JWK (no "kty")`);
  if (typeof jwk.kid !== "string" || jwk.kid === "") throw new Error(`${where}: no "kid"`);
  if (!isSigningAlgorithm(jwk.alg)) throw new Error(`${where}: "alg" must be one of ${SIGNING_ALGORITHMS.join(", ")}`);
  if (typeof jwk.d !== "string") throw new Error(`${where}: not a private key (no "d")`);
  return { ...jwk, use: "sig" } as SigningJwk;
}

/** The public part of a signing JWK, as the JWKS publishes it. */
export function publicJwk(jwk: SigningJwk): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...rest } = jwk;
  return rest;
}
