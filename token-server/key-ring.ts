// The signing keys in use: the current key (imported once and cached, so signing a
// token costs one signature; as a WebCrypto key for jose and as a node:crypto KeyObject
// for tokens/compact-signer.ts) and the public JWKS. Loaded from a key directory (see
// registry/signing-key-format.ts for the format) and reloaded when its files change, or generated in
// memory for standalone mode.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { type CryptoKey, importJWK, type JWK } from "jose";
import type { Logger } from "../common/logger.ts";
import { followKeyDirectory } from "../registry/key-directory.ts";
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
  /** The same private key for node:crypto (access tokens: tokens/compact-signer.ts). */
  keyObject: KeyObject;
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
  #stop: (() => void) | undefined;

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

  /** Loads `dir` (a mounted Secret) and follows it (registry/key-directory.ts). */
  static async fromDirectory(dir: string, log: Logger, pollMs = 5000): Promise<KeyRing> {
    const ring = new KeyRing();
    ring.#stop = await followKeyDirectory({
      dir,
      what: "signing keys",
      parse: parseSigningKey,
      install: async (keys) => {
        await ring.#install(keys);
        return ring.#jwks.keys.map((k) => k.kid as string);
      },
      log,
      pollMs,
    });
    return ring;
  }

  stop(): void {
    this.#stop?.();
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
      keyObject: createPrivateKey({ key: { ...current }, format: "jwk" }),
    };
    this.#verification = verification;
    this.#jwks = { keys: published };
  }
}
