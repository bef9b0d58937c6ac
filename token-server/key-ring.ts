// The signing keys in use: the current key (imported once and cached, so signing a
// token costs one signature) and the public JWKS. Loaded from a key directory (see
// registry/signing-key-format.ts for the format) and reloaded when its files change, or generated in
// memory for standalone mode.
import { readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import { type CryptoKey, importJWK, type JWK } from "jose";
import type { Logger } from "../common/logger.ts";
import {
  generateSigningKey,
  KEY_FILES,
  type KeySlot,
  parseSigningKey,
  publicJwk,
  type SigningAlgorithm,
  type SigningJwk,
} from "../registry/signing-key-format.ts";

export interface SigningKey {
  kid: string;
  /** Epoch ms when this process loaded it (the key files carry no creation time). */
  loadedAt: number;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  publicKey: CryptoKey;
}

export class KeyRing {
  #current: SigningKey | undefined;
  #verification = new Map<string, VerificationKey>();
  #jwks: { keys: JWK[] } = { keys: [] };
  #fingerprint = "";
  #timer: NodeJS.Timeout | undefined;

  /** The key that signs new tokens; undefined until keys are loaded. */
  get current(): SigningKey | undefined {
    return this.#current;
  }

  get ready(): boolean {
    return this.#current !== undefined;
  }

  /** The public JWKS document (current, next, previous). */
  get jwks(): { keys: JWK[] } {
    return this.#jwks;
  }

  verificationKey(kid: string): VerificationKey | undefined {
    return this.#verification.get(kid);
  }

  /** Standalone: one generated key, in memory only. */
  static async generated(alg: SigningAlgorithm): Promise<KeyRing> {
    const ring = new KeyRing();
    await ring.#install({ current: await generateSigningKey(alg) });
    return ring;
  }

  /**
   * Loads `dir` and polls it every `pollMs` (a mounted Secret changes by an atomic
   * symlink swap, which fs.watch reports unreliably; a poll of three small files is cheap).
   * A directory that fails to load keeps the previous keys and logs why.
   */
  static async fromDirectory(dir: string, log: Logger, pollMs = 5000): Promise<KeyRing> {
    const ring = new KeyRing();
    const reload = async () => {
      try {
        const texts = await readKeyFiles(dir);
        const fingerprint = JSON.stringify(texts);
        if (fingerprint === ring.#fingerprint) return;
        const keys: Partial<Record<KeySlot, SigningJwk>> = {};
        for (const [slot, text] of Object.entries(texts) as [KeySlot, string][])
          keys[slot] = parseSigningKey(text, join(dir, KEY_FILES[slot]));
        await ring.#install(keys);
        ring.#fingerprint = fingerprint;
        log.info("signing keys loaded", { dir, kid: keys.current?.kid, kids: ring.#jwks.keys.map((k) => k.kid) });
      } catch (error) {
        log.error("signing keys not loaded; keeping the previous ones", { dir, error });
      }
    };
    await reload();
    ring.#timer = setInterval(reload, pollMs);
    ring.#timer.unref();
    return ring;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #install(keys: Partial<Record<KeySlot, SigningJwk>>): Promise<void> {
    if (!keys.current) throw new Error(`no ${KEY_FILES.current}`);
    const verification = new Map<string, VerificationKey>();
    const published: JWK[] = [];
    for (const slot of ["current", "next", "previous"] as const) {
      const jwk = keys[slot];
      if (!jwk || verification.has(jwk.kid)) continue;
      const pub = publicJwk(jwk);
      verification.set(jwk.kid, {
        kid: jwk.kid,
        alg: jwk.alg,
        publicKey: (await importJWK(pub, jwk.alg)) as CryptoKey,
      });
      published.push(pub);
    }
    const current = keys.current;
    const loadedAt = this.#current?.kid === current.kid ? this.#current.loadedAt : Date.now();
    this.#current = {
      kid: current.kid,
      loadedAt,
      alg: current.alg,
      privateKey: (await importJWK(current, current.alg)) as CryptoKey,
    };
    this.#verification = verification;
    this.#jwks = { keys: published };
  }
}

/**
 * Reads the key files as one consistent set. A mounted Secret's files are symlinks
 * into `..data`, which the kubelet swaps atomically: reading through the resolved
 * `..data` keeps a swap between two reads from mixing old and new files.
 */
async function readKeyFiles(dir: string): Promise<Partial<Record<KeySlot, string>>> {
  const base = await realpath(join(dir, "..data")).catch(() => dir);
  const texts: Partial<Record<KeySlot, string>> = {};
  for (const slot of Object.keys(KEY_FILES) as KeySlot[]) {
    try {
      texts[slot] = await readFile(join(base, KEY_FILES[slot]), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return texts;
}
