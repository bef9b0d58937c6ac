// The registry record keys: HMAC-SHA-256 keys that authenticate every client record
// the operator writes (record-seal.ts), so a record that Redis holds but the operator
// did not write is refused by the token server. Shared by the operator (which creates
// and rotates the Secret, operator/controllers/registry-keys.ts) and the token server
// (which mounts it and reads it), in the shape of the signing keys
// (signing-key-format.ts):
//
//   current.jwk   required: MACs every record written now
//   next.jwk      optional: accepted before it becomes current, so every token server
//                 holds it by the time records MAC'd with it arrive
//   previous.jwk  optional: accepted after it stopped MACing, until the operator has
//                 rewritten every record under the current key
//
// Each file is one symmetric JWK (RFC 7517, "kty": "oct", "alg": "HS256", 256 random
// bits in "k") whose "kid" is its RFC 7638 thumbprint. Rotation by the operator:
// previous <- current <- next <- generateRecordKey().
import { randomBytes } from "node:crypto";
import { calculateJwkThumbprint } from "jose";
import type { Logger } from "../common/logger.ts";
import { followKeyDirectory } from "./key-directory.ts";
import { KEY_FILES, type KeySlot } from "./signing-key-format.ts";

export { KEY_FILES as RECORD_KEY_FILES };

export interface RecordJwk {
  kty: "oct";
  alg: "HS256";
  kid: string;
  k: string;
}

/** A key as the sealer uses it. */
export interface RecordKey {
  kid: string;
  secret: Buffer;
}

export type RecordKeySet = Partial<Record<KeySlot, RecordJwk>>;

export async function generateRecordKey(): Promise<RecordJwk> {
  const k = randomBytes(32).toString("base64url");
  return { kty: "oct", alg: "HS256", kid: await calculateJwkThumbprint({ kty: "oct", k }), k };
}

export function serializeRecordKey(jwk: RecordJwk): string {
  return `${JSON.stringify(jwk)}\n`;
}

/** Parses a key file; throws with a message that says what is wrong. */
export function parseRecordKey(text: string, where: string): RecordJwk {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not JSON (expected one "oct" JWK)`);
  }
  const jwk = value as Partial<RecordJwk> | null;
  if (typeof jwk !== "object" || jwk === null || jwk.kty !== "oct") throw new Error(`${where}: not an "oct" JWK`);
  if (typeof jwk.kid !== "string" || !/^[A-Za-z0-9_-]+$/.test(jwk.kid)) throw new Error(`${where}: no usable "kid"`);
  if (typeof jwk.k !== "string" || Buffer.from(jwk.k, "base64url").length < 32)
    throw new Error(`${where}: "k" must hold at least 256 bits`);
  return { kty: "oct", alg: "HS256", kid: jwk.kid, k: jwk.k };
}

/**
 * The record keys in use: the current one (writes) and every one accepted (reads).
 * One mutable ring per process, so a rotation reaches every registry client that holds it.
 */
export class RecordKeyRing {
  #current: RecordKey | undefined;
  #accepted = new Map<string, RecordKey>();
  #stop: (() => void) | undefined;

  get current(): RecordKey | undefined {
    return this.#current;
  }

  get ready(): boolean {
    return this.#current !== undefined;
  }

  /** The key a record names, if it is one of current, next or previous. */
  accepted(kid: string): RecordKey | undefined {
    return this.#accepted.get(kid);
  }

  get kids(): string[] {
    return [...this.#accepted.keys()];
  }

  install(keys: RecordKeySet): void {
    if (!keys.current) throw new Error(`no ${KEY_FILES.current}`);
    const accepted = new Map<string, RecordKey>();
    for (const slot of ["current", "next", "previous"] as const) {
      const jwk = keys[slot];
      if (jwk) accepted.set(jwk.kid, { kid: jwk.kid, secret: Buffer.from(jwk.k, "base64url") });
    }
    this.#current = accepted.get(keys.current.kid);
    this.#accepted = accepted;
  }

  /** One generated key, in memory only: tests, and writers and readers sharing a process. */
  static async generated(): Promise<RecordKeyRing> {
    const ring = new RecordKeyRing();
    ring.install({ current: await generateRecordKey() });
    return ring;
  }

  /**
   * Loads `dir` (a mounted Secret) and follows it (key-directory.ts). A set that fails
   * to load keeps the previous keys; until one loads, the ring is not ready.
   */
  static async fromDirectory(dir: string, log: Logger, pollMs = 5000): Promise<RecordKeyRing> {
    const ring = new RecordKeyRing();
    ring.#stop = await followKeyDirectory({
      dir,
      what: "registry record keys",
      parse: parseRecordKey,
      install: (keys) => {
        ring.install(keys);
        return ring.kids;
      },
      log,
      pollMs,
    });
    return ring;
  }

  stop(): void {
    this.#stop?.();
  }
}
