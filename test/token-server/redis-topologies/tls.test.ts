// rediss:// with a private CA (--redis-ca-file, the chart's redis.external.tls.caSecret):
// the token state and the registry connect over TLS to a real redis-server that presents
// a certificate from a CA made for this run, and a connection without the CA bundle is
// refused (the system CAs do not trust it), so the bundle is what makes it work.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { RecordKeyRing } from "../../../registry/record-keys.ts";
import { RedisRegistry } from "../../../registry/redis-registry.ts";
import { RedisStore } from "../../../token-server/state/redis-store.ts";
import { freePort, waitFor } from "../../harness/processes.ts";
import { removeRedisDir, startRedis, type TestRedis } from "../../harness/redis.ts";
import { clientRecord } from "../fixtures.ts";

let pki: string;
let redis: TestRedis;
let url: string;

before(async () => {
  pki = await mkdtemp(join(tmpdir(), "tollgate-redis-tls-"));
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: "ignore" });
  openssl(
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"].concat([
      "-subj",
      "/CN=tollgate test redis CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    ]),
  );
  await writeFile(join(pki, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1"].concat([
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
    ]),
  );
  openssl(
    ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"].concat([
      "-days",
      "1",
      "-extfile",
      "san.ext",
      "-out",
      "server.crt",
    ]),
  );
  const tlsPort = await freePort();
  redis = await startRedis({
    args: [
      "--tls-port",
      String(tlsPort),
      "--tls-cert-file",
      join(pki, "server.crt"),
      "--tls-key-file",
      join(pki, "server.key"),
    ].concat(["--tls-ca-cert-file", join(pki, "ca.crt"), "--tls-auth-clients", "no"]),
  });
  url = `rediss://127.0.0.1:${tlsPort}`;
});
after(async () => {
  await redis?.stop();
  if (redis) await removeRedisDir(redis);
  if (pki) await rm(pki, { recursive: true, force: true });
});

test("with the CA bundle: token state and registry over TLS", async () => {
  const caFile = join(pki, "ca.crt");
  const store = RedisStore.start({ url, caFile });
  const registry = await RedisRegistry.connect({ url, caFile }, await RecordKeyRing.generated());
  try {
    await waitFor("the store to connect over TLS", async () => store.available || undefined, { timeoutMs: 10_000 });
    await store.set("tls:check", "yes", 60);
    assert.equal(await store.get("tls:check"), "yes");
    const record = clientRecord();
    await registry.put(record);
    assert.equal((await registry.get(record.clientId))?.clientId, record.clientId);
  } finally {
    await store.close();
    await registry.close();
  }
});

test("without it the server's certificate is refused: nothing is stored", async () => {
  const errors: string[] = [];
  const store = RedisStore.start({ url, onError: (error) => errors.push(error.message) });
  try {
    await sleep(1500);
    assert.equal(store.available, false);
    await assert.rejects(store.get("tls:check"), { name: "StateUnavailable" });
    assert.ok(
      errors.some((message) => /certificate/i.test(message)),
      errors.join("; "),
    );
  } finally {
    await store.close();
  }
});
