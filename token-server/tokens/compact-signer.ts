// JWS Compact Serialization (RFC 7515 §7.1) of the access tokens, the token endpoint's
// hottest work. jose signs through WebCrypto, which for every token re-normalises the
// algorithm and validates the header and key again, then encodes in JavaScript: about 75 µs
// of CPU per ES256 token with the thread-pool hop, where the signature itself takes 25. The
// compact form is only `header.payload.signature` in base64url, and the protected header is
// the same for every token one key signs, so it is encoded once per key, and node:crypto
// signs with the key ring's KeyObject in the thread pool: about 45 µs. The pool as WebCrypto
// uses it: the event loop goes on with other requests meanwhile, so one process still uses a
// second core (signing on the event loop saved a little more CPU and lost a fifth of the
// throughput on two cores). jose still verifies every JWT this server reads, and signs the
// rarer ID tokens; the unit tests check these tokens with jose for every algorithm.
//
// The KeyObject is passed to crypto.sign as it is, not inside an options object, wherever
// the algorithm allows: Node 24 tells the two apart by throwing and catching two errors per
// call (isKeyObject, isCryptoKey), which costs about as much as the ES256 signature. An
// ECDSA signature then comes DER-encoded, and is rewritten as JWS has it (ecdsaDerToJose).
import { constants, type KeyObject, type SignKeyObjectInput, sign } from "node:crypto";
import type { SigningAlgorithm } from "../../registry/signing-key-format.ts";
import type { SigningKey } from "../key-ring.ts";

/** How node:crypto makes each algorithm's JWS signature (RFC 7518 §3, RFC 8037 §3.1). */
const ALGORITHMS: Record<
  SigningAlgorithm,
  { digest: string | null; options?: Omit<SignKeyObjectInput, "key">; der?: true }
> = {
  ES256: { digest: "sha256", der: true },
  EdDSA: { digest: null },
  // RSASSA-PKCS1-v1_5, node:crypto's default padding for an RSA key.
  RS256: { digest: "sha256" },
  // Salt as long as the hash (RFC 7518 §3.5).
  PS256: { digest: "sha256", options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
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
  sign(key: SigningKey, payload: string): Promise<string> {
    const prepared = this.#prepare(key);
    const input = `${prepared.prefix}${Buffer.from(payload, "utf8").toString("base64url")}`;
    // The signing input is base64url text: ASCII, so latin1 is its exact byte encoding.
    const bytes = Buffer.from(input, "latin1");
    const { digest, der } = ALGORITHMS[key.alg];
    return new Promise((resolve, reject) =>
      sign(digest, bytes, prepared.signingKey, (error, signature) => {
        if (error) reject(error);
        else
          resolve(`${input}.${(der ? ecdsaDerToJose(signature, P256_SCALAR_BYTES) : signature).toString("base64url")}`);
      }),
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
