// Redis is storage, not authority: a record written into the registry by hand (forged:
// a client the operator never registered; tampered: a real client's record with the
// attacker's secret hash and subject) gets no token from a real token server process,
// is logged and counted, and the operator puts the real record back; the real clients
// keep working. And the record keys rotate without an outage: records still MAC'd
// under the previous key verify until the operator has rewritten them.
// Real parts: kube-apiserver, redis-server, the operator (in this process), the token
// server as its own process reading the record keys from a directory (as the mounted
// Secret), mirrored here from the operator's Secret the way the kubelet does.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createClient, type RedisClientType } from "redis";
import { REGISTRY_KEYS_ROTATED_AT } from "../../operator/controllers/registry-keys.ts";
import type { RunningOperator } from "../../operator/operator.ts";
import { generateRecordKey, RECORD_KEY_FILES } from "../../registry/record-keys.ts";
import { registryKeys } from "../../registry/registry-keys.ts";
import { hashSecret } from "../../registry/secret-hash.ts";
import { generateSigningKey, KEY_FILES, serializeSigningKey } from "../../registry/signing-key-format.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "../harness/processes.ts";
import { TEST_RECORD_KEYS_SECRET } from "../harness/record-keys.ts";
import {
  CLIENT_CREDENTIALS,
  createNamespace,
  createClient as createOAuthClient,
  getSecret,
  oauthClient,
  secretString,
  startTestOperator,
  startWorld,
  type World,
  waitForReady,
} from "../operator/support.ts";

const MAIN = join(import.meta.dirname, "..", "..", "token-server", "main.ts");
let world: World;
let operator: RunningOperator;
let raw: RedisClientType;
let server: ManagedProcess;
let url: string;
/** /readyz and /metrics: the token server's management port. */
let managementUrl: string;
let dir: string;

/** Copies the operator's record keys Secret into the token server's directory, atomically, as the kubelet does. */
async function mirrorRecordKeys(): Promise<void> {
  const secret = await getSecret(world, TEST_RECORD_KEYS_SECRET.namespace, TEST_RECORD_KEYS_SECRET.name);
  assert.ok(secret?.data, "the operator created the record keys Secret");
  const next = join(dir, `record-keys-${Date.now()}`);
  await mkdir(next);
  for (const [key, value] of Object.entries(secret.data))
    await writeFile(join(next, key), Buffer.from(value, "base64"));
  await rm(join(dir, "record-keys.tmp"), { force: true });
  const { symlink } = await import("node:fs/promises");
  await symlink(next, join(dir, "record-keys.tmp"));
  await rename(join(dir, "record-keys.tmp"), join(dir, "record-keys", "..data"));
  for (const file of Object.values(RECORD_KEY_FILES)) {
    await rm(join(dir, "record-keys", file), { force: true });
    await symlink(join("..data", file), join(dir, "record-keys", file));
  }
}

async function token(clientId: string, secret: string): Promise<number> {
  const response = await fetch(`${url}/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  await response.arrayBuffer();
  return response.status;
}

async function rejected(reason: string): Promise<number> {
  const text = await (await fetch(`${managementUrl}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`tollgate_token_server_registry_records_rejected_total{reason="${reason}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

/** Writes a value by hand and announces it the way the registry's write script does. */
async function writeByHand(clientId: string, value: string): Promise<void> {
  const revision = await raw.multi().hSet(registryKeys.clients, clientId, value).incr(registryKeys.revision).exec();
  await raw.publish(registryKeys.changes, JSON.stringify({ op: "put", clientId, revision: Number(revision[1]) }));
}

const storedKid = async (clientId: string) => (await raw.hGet(registryKeys.clients, clientId))?.split(".")[1];

before(async () => {
  world = await startWorld();
  operator = await startTestOperator(world, { resyncPeriodMs: 3_000 });
  await operator.synced();
  raw = createClient({ url: world.redis.url });
  await raw.connect();
  dir = await mkdtemp(join(tmpdir(), "tollgate-integrity-"));
  await mkdir(join(dir, "signing-keys"));
  await mkdir(join(dir, "record-keys"));
  await writeFile(join(dir, "signing-keys", KEY_FILES.current), serializeSigningKey(await generateSigningKey()));
  await waitFor("the record keys Secret", async () => getSecret(world, "default", TEST_RECORD_KEYS_SECRET.name));
  await mirrorRecordKeys();
  const port = await freePort();
  const managementPort = await freePort();
  url = `http://127.0.0.1:${port}`;
  managementUrl = `http://127.0.0.1:${managementPort}`;
  server = startProcess(
    process.execPath,
    [
      MAIN,
      `--redis-url=${world.redis.url}`,
      `--signing-keys-dir=${join(dir, "signing-keys")}`,
      `--registry-keys-dir=${join(dir, "record-keys")}`,
      "--host=127.0.0.1",
      `--port=${port}`,
      `--management-port=${managementPort}`,
      "--keys-poll-interval=1s",
      "--resync-interval=1s",
    ],
    join(dir, "token-server.log"),
  );
  await waitFor("the token server to be ready", async () => {
    if (server.child.exitCode !== null) throw new Error(await readFile(server.logFile, "utf8"));
    return (await fetch(`${managementUrl}/readyz`).catch(() => undefined))?.status === 200 || undefined;
  });
});

after(async () => {
  await server?.stop();
  await raw?.close();
  await operator?.stop();
  await world?.stop();
});

async function applied(namespace: string, name: string): Promise<{ clientId: string; secret: string }> {
  await createOAuthClient(world, oauthClient(namespace, name, CLIENT_CREDENTIALS));
  const ready = await waitForReady(world, namespace, name);
  const secret = secretString(await getSecret(world, namespace, ready.status?.secretName as string), "client_secret");
  const clientId = ready.status?.clientId as string;
  await waitFor(
    `the token server to issue to ${clientId}`,
    async () => (await token(clientId, secret as string)) === 200 || undefined,
    {
      timeoutMs: 15_000,
    },
  );
  return { clientId, secret: secret as string };
}

test("a forged and a tampered record get no token, are logged and counted; the real clients keep working", async () => {
  const ns = await createNamespace(world, "integrity");
  const real = await applied(ns, "real");
  const victim = await applied(ns, "victim");
  const attackerSecret = "attacker-chosen-secret-of-enough-length";

  // Forged: a client no OAuthClient declares, as plain JSON and MAC'd with a key of the attacker's.
  const stored = (await raw.hGet(registryKeys.clients, real.clientId)) as string;
  const realJson = stored.slice(stored.indexOf("{"));
  const forged = (clientId: string) =>
    JSON.stringify({
      ...JSON.parse(realJson),
      clientId,
      subject: "admin",
      secrets: [{ hash: hashSecret(attackerSecret) }],
    });
  const unsignedBefore = await rejected("unsigned");
  await writeByHand("forged-plain", forged("forged-plain"));
  const attackerKey = await generateRecordKey();
  const [, , mac] = stored.split(".");
  await writeByHand("forged-mac", `mac1.${attackerKey.kid}.${mac}.${forged("forged-mac")}`);
  // Tampered: the victim's own record, MAC kept, with the attacker's secret hash and subject.
  const victimStored = (await raw.hGet(registryKeys.clients, victim.clientId)) as string;
  const prefix = victimStored.slice(0, victimStored.indexOf("{"));
  const victimRecord = JSON.parse(victimStored.slice(prefix.length));
  await writeByHand(
    victim.clientId,
    prefix + JSON.stringify({ ...victimRecord, subject: "admin", secrets: [{ hash: hashSecret(attackerSecret) }] }),
  );
  // Moved: the real client's sealed value under another client ID.
  await writeByHand("moved", stored.replace(`"clientId":"${real.clientId}"`, '"clientId":"moved"'));

  await waitFor(
    "the token server to refuse the forged record",
    async () => (await rejected("unsigned")) > unsignedBefore || undefined,
    {
      timeoutMs: 10_000,
    },
  );
  assert.ok((await rejected("unknown_key")) > 0);
  assert.ok((await rejected("bad_mac")) > 0);
  for (const clientId of ["forged-plain", "forged-mac", victim.clientId, "moved"])
    assert.equal(await token(clientId, attackerSecret), 401, `${clientId} with the attacker's secret`);
  assert.equal(await token("moved", real.secret), 401, "a real record moved to another client ID");
  assert.equal(await token(real.clientId, real.secret), 200, "the real client keeps working");
  const log = await readFile(server.logFile, "utf8");
  const refusals = log
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { msg?: string; clientId?: string; reason?: string })
    .filter((entry) => entry.msg?.startsWith("registry record refused"))
    .map((entry) => `${entry.clientId} ${entry.reason}`);
  assert.ok(refusals.includes("forged-plain unsigned"), refusals.join(", "));
  assert.ok(refusals.includes(`${victim.clientId} bad_mac`), refusals.join(", "));

  // The operator's resync finds the victim's record does not verify and writes the real one back.
  await waitFor(
    "the operator to repair the victim's record",
    async () => (await token(victim.clientId, victim.secret)) === 200 || undefined,
    {
      timeoutMs: 20_000,
    },
  );
  assert.equal(await token(victim.clientId, attackerSecret), 401);
  const operatorLog = await readFile(join(world.logDir, "operator-1.log"), "utf8");
  const repaired = operatorLog
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { msg?: string; clientId?: string })
    .some((entry) => entry.clientId === victim.clientId && entry.msg?.includes("writing the real one"));
  assert.ok(repaired, "the operator logs that it writes the real record back");
});

test("key rotation: records MAC'd under the previous key keep verifying until the operator rewrites them", async () => {
  const ns = await createNamespace(world, "rotation");
  const client = await applied(ns, "rotated");
  const before = await getSecret(world, "default", TEST_RECORD_KEYS_SECRET.name);
  const underOldKey = (await raw.hGet(registryKeys.clients, client.clientId)) as string;
  const oldKid = underOldKey.split(".")[1];
  // Due now: the operator rotates (previous <- current <- next <- new) on the Secret's watch event.
  await world.cp.kubectl([
    "annotate",
    "secret",
    "-n",
    "default",
    TEST_RECORD_KEYS_SECRET.name,
    `${REGISTRY_KEYS_ROTATED_AT}=2000-01-01T00:00:00Z`,
    "--overwrite",
  ]);
  await waitFor("the rotation", async () => {
    const secret = await getSecret(world, "default", TEST_RECORD_KEYS_SECRET.name);
    return secret?.data?.["previous.jwk"] === before?.data?.["current.jwk"] || undefined;
  });
  const loads = (await readFile(server.logFile, "utf8")).split("registry record keys loaded").length;
  await mirrorRecordKeys();
  await waitFor("the token server to load the rotated keys", async () => {
    return (await readFile(server.logFile, "utf8")).split("registry record keys loaded").length > loads || undefined;
  });
  // The operator has rewritten the record under the new key, or will on its next resync;
  // either way a record still MAC'd under the previous key must keep working meanwhile.
  await writeByHand(client.clientId, underOldKey);
  assert.equal(await storedKid(client.clientId), oldKid);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the token server has read it (resync 1 s)
  assert.equal(await token(client.clientId, client.secret), 200, "a record under the previous key verifies");
  await waitFor(
    "the operator to rewrite the record under the new current key",
    async () => {
      const kid = await storedKid(client.clientId);
      return (
        (kid !== oldKid && kid === JSON.parse(Buffer.from(await currentKeyFile(), "base64").toString()).kid) ||
        undefined
      );
    },
    { timeoutMs: 20_000 },
  );
  assert.equal(await token(client.clientId, client.secret), 200);
});

async function currentKeyFile(): Promise<string> {
  const secret = await getSecret(world, "default", TEST_RECORD_KEYS_SECRET.name);
  return secret?.data?.["current.jwk"] as string;
}
