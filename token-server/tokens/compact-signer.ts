// JWS Compact Serialization (RFC 7515 §7.1) of the access tokens, the token endpoint's
// hottest work. jose signs through WebCrypto, which for every token re-normalises the
// algorithm, copies the input and hands the signature to the thread pool and back: about
// 25 µs of CPU per ES256 token on top of the ~70 µs signature, a tenth of a whole
// client-credentials request. The compact form is only `header.payload.signature` in
// base64url, and the protected header is the same for every token one key signs, so it is
// encoded once per key and node:crypto makes the signature with the key ring's KeyObject.
// jose still verifies every JWT this server reads (and signs the rarer ID tokens); the unit
// tests check these tokens with jose for every algorithm.
//
// The KeyObject is passed to crypto.sign as it is, never inside an options object: Node 24
// tells the two apart by throwing and catching two errors per call (isKeyObject,
// isCryptoKey), which costs more than the ES256 signature itself. Without options an ECDSA
// signature comes DER-encoded, so it is rewritten as JWS wants it (ecdsaDerToJose).
//
// ES256 and EdDSA signatures take tens of microseconds: less than a thread-pool hop, so they
// are made on the event loop. An RSA 2048 signature (RS256, PS256) takes about a millisecond
// and goes to the thread pool, so it does not stall every other request meanwhile.
import { constants, type KeyObject, type SignKeyObjectInput, sign } from "node:crypto";
import type { SigningAlgorithm } from "../../registry/signing-key-format.ts";
import type { SigningKey } from "../key-ring.ts";

/** How node:crypto makes each algorithm's JWS signature (RFC 7518 §3, RFC 8037 §3.1). */
const ALGORITHMS: Record<
  SigningAlgorithm,
  { digest: string | null; options?: Omit<SignKeyObjectInput, "key">; offload: boolean; der?: true }
> = {
  ES256: { digest: "sha256", offload: false, der: true },
  EdDSA: { digest: null, offload: false },
  // RSASSA-PKCS1-v1_5, node:crypto's default padding for an RSA key.
  RS256: { digest: "sha256", offload: true },
  // Salt as long as the hash (RFC 7518 §3.5).
  PS256: { digest: "sha256", options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, offload: true },
};

/** ES256: r and s are 32 bytes each in a JWS. */
const P256_SCALAR_BYTES = 32;

/** What is fixed while one key signs: the encoded protected header and the signing call's key argument. */
interface Prepared {
  key: SigningKey;
  /** base64url(protected header) and the "." after it. */
  prefix: string;
  signingKey: KeyObject | SignKeyObjectInput;
}

/** Signs compact JWSs of one `typ` with whichever key is current when asked. */
export class CompactSigner {
  readonly #typ: string;
  /** For the last key used: a rotation brings a new SigningKey object, and with it a new header. */
  #prepared: Prepared | undefined;

  constructor(typ: string) {
    this.#typ = typ;
  }

  /** The compact JWS of `payload` (a JSON text), signed with `key`. */
  sign(key: SigningKey, payload: string): string | Promise<string> {
    const prepared = this.#prepare(key);
    const input = `${prepared.prefix}${Buffer.from(payload, "utf8").toString("base64url")}`;
    // The signing input is base64url text: ASCII, so latin1 is its exact byte encoding.
    const bytes = Buffer.from(input, "latin1");
    const { digest, offload, der } = ALGORITHMS[key.alg];
    if (!offload) {
      const signature = sign(digest, bytes, prepared.signingKey);
      return `${input}.${(der ? ecdsaDerToJose(signature, P256_SCALAR_BYTES) : signature).toString("base64url")}`;
    }
    return new Promise((resolve, reject) =>
      sign(digest, bytes, prepared.signingKey, (error, signature) =>
        error ? reject(error) : resolve(`${input}.${signature.toString("base64url")}`),
      ),
    );
  }

  #prepare(key: SigningKey): Prepared {
    if (this.#prepared?.key === key) return this.#prepared;
    const header = JSON.stringify({ alg: key.alg, kid: key.kid, typ: this.#typ });
    const { options } = ALGORITHMS[key.alg];
    this.#prepared = {
      key,
      prefix: `${Buffer.from(header, "utf8").toString("base64url")}.`,
      signingKey: options ? { key: key.keyObject, ...options } : key.keyObject,
    };
    return this.#prepared;
  }
}

/**
 * An ECDSA signature from DER (RFC 3279 §2.2.3: a SEQUENCE of the INTEGERs r and s, each
 * minimal and signed, so 1 to `size` + 1 bytes) to the JWS form, r || s with each
 * left-padded to `size` bytes (RFC 7518 §3.4). Only short-form DER lengths: a P-256
 * signature is at most 72 bytes.
 */
export function ecdsaDerToJose(der: Buffer, size: number): Buffer {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) throw new Error("not a DER ECDSA signature");
  const jose = Buffer.alloc(2 * size);
  let offset = 2;
  for (let part = 0; part < 2; part++) {
    let length = der[offset + 1] ?? 0;
    let start = offset + 2;
    if (der[offset] !== 0x02 || length === 0 || length > 0x7f) throw new Error("not a DER ECDSA signature");
    offset = start + length;
    // A leading zero only marks a positive number whose top bit is set.
    while (length > size && der[start] === 0) {
      start += 1;
      length -= 1;
    }
    if (length > size || offset > der.length) throw new Error("ECDSA signature does not fit the curve");
    der.copy(jose, part * size + size - length, start, start + length);
  }
  if (offset !== der.length) throw new Error("not a DER ECDSA signature");
  return jose;
}
