// Access tokens are signed by tokens/compact-signer.ts rather than jose: every algorithm
// the key ring takes must give a JWS that jose verifies with the published key, with the
// header jose would write, and a rotated key must sign with its own kid at once.
import assert from "node:assert/strict";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { test } from "node:test";
import { type CryptoKey, compactVerify, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { SIGNING_ALGORITHMS } from "../../../registry/signing-key-format.ts";
import { KeyRing, type SigningKey } from "../../../token-server/key-ring.ts";
import { CompactSigner, ecdsaDerToJose } from "../../../token-server/tokens/compact-signer.ts";

const publicKey = (keys: KeyRing) => keys.verificationKey(keys.current?.kid as string)?.publicKey as CryptoKey;

for (const alg of SIGNING_ALGORITHMS)
  test(`${alg}: jose verifies the token with the published key; header alg, kid, typ; claims as given`, async () => {
    const keys = await KeyRing.generated(alg);
    const key = keys.current as SigningKey;
    const claims = { iss: "https://id.example", sub: "Zoë ✓", aud: ["a", "b"], exp: 4_000_000_000, scope: "x y" };
    const token = await new CompactSigner("at+jwt").sign(key, JSON.stringify(claims));
    assert.deepEqual(decodeProtectedHeader(token), { alg, kid: key.kid, typ: "at+jwt" });
    const { payload, protectedHeader } = await jwtVerify(token, publicKey(keys), {
      algorithms: [alg],
      typ: "at+jwt",
      issuer: "https://id.example",
      audience: "b",
    });
    assert.deepEqual(payload, claims);
    assert.equal(protectedHeader.alg, alg);
  });

test("ES256 signatures are R || S (64 bytes, RFC 7518 §3.4), not DER, and differ per token", async () => {
  const keys = await KeyRing.generated("ES256");
  const signer = new CompactSigner("at+jwt");
  const first = (await signer.sign(keys.current as SigningKey, "{}")).split(".");
  const second = (await signer.sign(keys.current as SigningKey, "{}")).split(".");
  assert.equal(Buffer.from(first[2] as string, "base64url").length, 64);
  assert.equal(first[0], second[0]);
  assert.notEqual(first[2], second[2]);
});

test("a rotated key signs with its own kid from its first token; the old key's tokens stay the old key's", async () => {
  const signer = new CompactSigner("at+jwt");
  const before = await KeyRing.generated("ES256");
  const after = await KeyRing.generated("ES256");
  const old = await signer.sign(before.current as SigningKey, '{"n":1}');
  const rotated = await signer.sign(after.current as SigningKey, '{"n":2}');
  assert.deepEqual(decodeProtectedHeader(rotated), { alg: "ES256", kid: after.current?.kid, typ: "at+jwt" });
  await compactVerify(rotated, publicKey(after));
  await assert.rejects(compactVerify(rotated, publicKey(before)), errors.JWSSignatureVerificationFailed);
  const again = await signer.sign(before.current as SigningKey, '{"n":3}');
  assert.deepEqual(decodeProtectedHeader(again), decodeProtectedHeader(old));
  await compactVerify(again, publicKey(before));
});

test("the typ is the signer's: one signer per kind of token", async () => {
  const keys = await KeyRing.generated("ES256");
  const token = await new CompactSigner("JWT").sign(keys.current as SigningKey, "{}");
  assert.equal(decodeProtectedHeader(token).typ, "JWT");
});

test("DER to r || s: every length r and s take (leading sign byte, shorter than 32 bytes) verifies as IEEE P1363", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const lengths = new Set<number>();
  for (let i = 0; i < 3000; i++) {
    const data = Buffer.from(`token ${i}`);
    const der = sign("sha256", data, privateKey);
    lengths.add(der.length);
    const jose = ecdsaDerToJose(der, 32);
    assert.equal(jose.length, 64);
    assert.ok(verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, jose), `signature ${i}`);
  }
  // 70 and 72 bytes are the common cases; a shorter r or s (1 in 256) shows up in 3000.
  assert.ok(lengths.has(70) && lengths.has(71) && lengths.has(72), [...lengths].join(" "));
  assert.ok(
    [...lengths].some((length) => length < 70),
    [...lengths].join(" "),
  );
});

const r = Buffer.alloc(32, 0x11);
const s = Buffer.alloc(32, 0x22);
const sequence = (...parts: number[][]) => Buffer.from([0x30, parts.flat().length, ...parts.flat()]);
const int = (bytes: Buffer | number[]) => [0x02, bytes.length, ...bytes];
for (const { name, der, jose } of [
  { name: "32-byte r and s", der: sequence(int(r), int(s)), jose: Buffer.concat([r, s]) },
  {
    name: "a sign byte before a high r",
    der: sequence(int([0, 0x81, ...r.subarray(1)]), int(s)),
    jose: Buffer.concat([Buffer.from([0x81, ...r.subarray(1)]), s]),
  },
  {
    name: "a short s, left-padded",
    der: sequence(int(r), int([0x05, 0x06])),
    jose: Buffer.concat([r, Buffer.alloc(30), Buffer.from([0x05, 0x06])]),
  },
])
  test(`DER to r || s: ${name}`, () => assert.deepEqual(ecdsaDerToJose(der, 32), jose));

for (const { name, der } of [
  { name: "not a SEQUENCE", der: Buffer.from([0x31, 6, ...int([1]), ...int([2])]) },
  { name: "a wrong SEQUENCE length", der: Buffer.from([0x30, 9, ...int([1]), ...int([2])]) },
  { name: "an r longer than the curve", der: sequence(int([0x01, ...r]), int(s)) },
  { name: "an INTEGER running past the end", der: Buffer.from([0x30, 6, ...int([1]), 0x02, 9, 2]) },
  { name: "trailing bytes", der: sequence(int([1]), int([2]), [0x00]) },
  { name: "an empty INTEGER", der: sequence(int([]), int([2]), [0, 0]) },
])
  test(`DER to r || s refuses ${name}`, () => assert.throws(() => ecdsaDerToJose(der, 32)));
