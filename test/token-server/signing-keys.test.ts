// The signing-key directory (a mounted Secret): format, loading, rotation through
// next -> current -> previous without breaking a valid token, and every algorithm
// verified by fast-jwt.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { MemoryRegistry } from "../../registry/memory-registry.ts";
import {
  generateSigningKey,
  parseSigningKey,
  publicJwk,
  SIGNING_ALGORITHMS,
  type SigningJwk,
  serializeSigningKey,
} from "../../registry/signing-key-format.ts";
import { KeyRing } from "../../token-server/key-ring.ts";
import { startTokenServer } from "../../token-server/server.ts";
import { MemoryTokenState } from "../../token-server/state/memory-state.ts";
import { testLogger } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { basic, clientRecord, post, verifyIndependently } from "./fixtures.ts";

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function serve(keys: KeyRing) {
  const registry = new MemoryRegistry();
  const client = clientRecord();
  await registry.put(client);
  const state = new MemoryTokenState();
  const running = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    registry,
    state,
    keys,
    log: testLogger("signing-keys", { level: "error" }),
  });
  cleanup.push(async () => {
    await running.close();
    await state.close();
    keys.stop();
  });
  const form = {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(client.clientId, client.secret),
  };
  return {
    url: running.url,
    async token(): Promise<string> {
      const response = await post(`${running.url}/oauth2/token`, "grant_type=client_credentials", form);
      assert.equal(response.status, 200, response.text);
      return (response.body as { access_token: string }).access_token;
    },
    async active(token: string): Promise<boolean> {
      const response = await post(`${running.url}/oauth2/introspect`, `token=${token}`, form);
      return (response.body as { active: boolean }).active;
    },
    async kids(): Promise<string[]> {
      const jwks = (await (await fetch(`${running.url}/oauth2/jwks`)).json()) as { keys: { kid: string }[] };
      return jwks.keys.map((k) => k.kid);
    },
  };
}

const header = (token: string) => JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString());

test("generateSigningKey: a private JWK with kid, alg and use; the public part has no private members", async () => {
  for (const alg of SIGNING_ALGORITHMS) {
    const jwk = await generateSigningKey(alg);
    assert.equal(jwk.alg, alg);
    assert.equal(jwk.use, "sig");
    assert.match(jwk.kid, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(parseSigningKey(serializeSigningKey(jwk), "test"), jwk);
    const pub = publicJwk(jwk);
    for (const member of ["d", "p", "q", "dp", "dq", "qi"]) assert.equal(member in pub, false);
  }
  assert.throws(() => parseSigningKey('{"kty":"EC"}', "x.jwk"), /x\.jwk: no "kid"/);
  const jwk = await generateSigningKey();
  assert.throws(() => parseSigningKey(JSON.stringify(publicJwk(jwk)), "x.jwk"), /not a private key/);
  assert.throws(() => parseSigningKey(JSON.stringify({ ...jwk, alg: "HS256" }), "x.jwk"), /"alg" must be one of/);
});

test("every configurable algorithm signs tokens that fast-jwt verifies", async () => {
  for (const alg of SIGNING_ALGORITHMS) {
    const server = await serve(await KeyRing.generated(alg));
    const token = await server.token();
    const claims = await verifyIndependently(server, token, "https://orders.example");
    assert.equal(claims.header.alg, alg);
    assert.equal(claims.header.typ, "at+jwt");
  }
});

test("rotation through the mounted directory (atomic ..data symlink swap, as the kubelet does)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-keys-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  let generation = 0;
  // The kubelet writes a new timestamped directory, then renames a ..data symlink onto it.
  const publish = async (files: Record<string, SigningJwk>) => {
    generation += 1;
    const version = join(dir, `..v${generation}`);
    await mkdir(version);
    for (const [name, jwk] of Object.entries(files)) await writeFile(join(version, name), serializeSigningKey(jwk));
    await symlink(`..v${generation}`, join(dir, "..data_tmp"));
    await rename(join(dir, "..data_tmp"), join(dir, "..data"));
    for (const name of ["current.jwk", "next.jwk", "previous.jwk"])
      await symlink(join("..data", name), join(dir, name)).catch(() => {});
  };
  const first = await generateSigningKey("ES256");
  const second = await generateSigningKey("ES256");
  await publish({ "current.jwk": first });
  const log = testLogger("signing-keys", { level: "error" });
  const server = await serve(await KeyRing.fromDirectory(dir, log, 50));

  const old = await server.token();
  assert.equal(header(old).kid, first.kid);
  assert.deepEqual(await server.kids(), [first.kid]);

  // Step 1: the next key is published before it signs anything.
  await publish({ "current.jwk": first, "next.jwk": second });
  await waitFor("next key published", async () => (await server.kids()).length === 2 || undefined, { timeoutMs: 5000 });
  assert.deepEqual(await server.kids(), [first.kid, second.kid]);
  assert.equal(header(await server.token()).kid, first.kid);

  // Step 2: it becomes current; the old one stays published as previous.
  await publish({ "current.jwk": second, "previous.jwk": first });
  await waitFor("rotation", async () => header(await server.token()).kid === second.kid || undefined, {
    timeoutMs: 5000,
  });
  assert.deepEqual(await server.kids(), [second.kid, first.kid]);
  assert.equal(await server.active(old), true);
  await verifyIndependently(server, old, "https://orders.example");

  // A broken file keeps the keys that work.
  await publish({ "current.jwk": { ...second, d: undefined } as unknown as SigningJwk });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(header(await server.token()).kid, second.kid);
  assert.deepEqual(await server.kids(), [second.kid, first.kid]);

  // Step 3: previous removed: tokens it signed no longer verify.
  await publish({ "current.jwk": second });
  await waitFor("previous removed", async () => (await server.kids()).length === 1 || undefined, { timeoutMs: 5000 });
  assert.equal(await server.active(old), false);
});
