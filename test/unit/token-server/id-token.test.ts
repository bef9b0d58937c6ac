// ID tokens (OpenID Connect Core §2, §3.1.3.6): the claims and header for every
// signing algorithm, at_hash by the algorithm's hash, and id_token_hint reading
// (expired hints still name the user; access tokens, other issuers and forged
// signatures do not).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { type CryptoKey, decodeProtectedHeader, jwtVerify } from "jose";
import { SIGNING_ALGORITHMS } from "../../../registry/signing-key-format.ts";
import { KeyRing } from "../../../token-server/key-ring.ts";
import type { TokenServer } from "../../../token-server/request-context.ts";
import { atHash, readIdTokenHint, signIdToken } from "../../../token-server/tokens/id-token.ts";
import { signJwtAccessToken } from "../../../token-server/tokens/jwt-access-token.ts";
import { record } from "../support/records.ts";

const ISSUER = "https://id.example";

/** The parts of the server an ID token needs: its keys and its issuer. */
function serverWith(keys: KeyRing, issuer = ISSUER): TokenServer {
  return { keys, settings: { issuer } } as TokenServer;
}

test("at_hash: the left half of SHA-256 of the access token (SHA-512 for EdDSA), base64url", () => {
  const half = (hash: string) => {
    const digest = createHash(hash).update("tgat_example").digest();
    return digest.subarray(0, digest.length / 2).toString("base64url");
  };
  for (const alg of ["ES256", "RS256", "PS256"] as const) assert.equal(atHash("tgat_example", alg), half("sha256"));
  assert.equal(atHash("tgat_example", "EdDSA"), half("sha512"));
  assert.equal(atHash("tgat_example", "ES256").length, 22);
});

for (const alg of SIGNING_ALGORITHMS)
  test(`${alg}: typ JWT, the current kid, iss sub aud azp exp iat auth_time at_hash, nonce only when sent`, async () => {
    const keys = await KeyRing.generated(alg);
    const server = serverWith(keys);
    const client = record({ accessToken: { lifetimeSeconds: 600, format: "jwt" } });
    const token = await signIdToken(server, {
      client,
      sub: "ada",
      authTime: 1_700_000_000,
      nonce: "n",
      accessToken: "at",
    });
    const header = decodeProtectedHeader(token);
    assert.deepEqual(header, { alg, kid: keys.current?.kid, typ: "JWT" });
    const { payload } = await jwtVerify(
      token,
      keys.verificationKey(keys.current?.kid as string)?.publicKey as CryptoKey,
      {
        issuer: ISSUER,
        audience: client.clientId,
      },
    );
    assert.equal(payload.sub, "ada");
    assert.equal(payload.azp, client.clientId);
    assert.equal(payload.auth_time, 1_700_000_000);
    assert.equal(payload.nonce, "n");
    assert.equal(payload.at_hash, atHash("at", alg));
    assert.equal((payload.exp as number) - (payload.iat as number), 600);
    const withoutNonce = await signIdToken(server, { client, sub: "ada", authTime: 1, accessToken: "at" });
    assert.equal(
      JSON.parse(Buffer.from(withoutNonce.split(".")[1] as string, "base64url").toString()).nonce,
      undefined,
    );
  });

test("id_token_hint: an expired ID token of this server names its user and client; nothing else does", async () => {
  const keys = await KeyRing.generated("ES256");
  const server = serverWith(keys);
  const client = record({ accessToken: { lifetimeSeconds: 1, format: "jwt" } });
  const realNow = Date.now;
  Date.now = () => realNow() - 3600_000;
  let expired: string;
  try {
    expired = await signIdToken(server, { client, sub: "ada", authTime: 1, accessToken: "at" });
  } finally {
    Date.now = realNow;
  }
  assert.deepEqual(await readIdTokenHint(server, expired), { sub: "ada", clientId: client.clientId });

  const other = serverWith(await KeyRing.generated("ES256"));
  assert.equal(await readIdTokenHint(other, expired), undefined, "another server's keys");
  assert.equal(
    await readIdTokenHint(serverWith(keys, "https://elsewhere.example"), expired),
    undefined,
    "another issuer",
  );
  const [h, p] = expired.split(".");
  assert.equal(await readIdTokenHint(server, `${h}.${p}.${"A".repeat(86)}`), undefined, "a forged signature");
  const accessToken = await signJwtAccessToken(keys, {
    iss: ISSUER,
    sub: "ada",
    aud: client.clientId,
    client_id: client.clientId,
    jti: "j",
    iat: 1,
    exp: 2,
  });
  assert.equal(await readIdTokenHint(server, accessToken), undefined, "an access token (typ at+jwt)");
  assert.equal(await readIdTokenHint(server, "not.a.jwt"), undefined);
});
