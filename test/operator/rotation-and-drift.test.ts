// Secret rotation (by annotation and by schedule), drift repair and outages, on a real API
// server and a real Redis, under one running operator: every case is a change to the
// world that a person (or a crash) could make, and the assertions read the world back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient as createRedisClient } from "redis";
import { ROTATE_ANNOTATION } from "../../api/v1alpha1/oauthclient.ts";
import { mergePatch } from "../../operator/kube.ts";
import { SecretAnnotation } from "../../operator/reconcile/credentials-secret.ts";
import { registryKeys } from "../../registry/registry-keys.ts";
import { verifySecret } from "../../registry/secret-hash.ts";
import {
  CLIENT_CREDENTIALS,
  condition,
  createClient,
  createNamespace,
  getSecret,
  type OperatorWorld,
  oauthClient,
  patchClient,
  secretString,
  startOperatorWorld,
  waitForClient,
  waitForEvent,
  waitForReady,
  waitForReason,
  waitForRecord,
} from "./support.ts";

let world: OperatorWorld;

before(async () => {
  // Resync every 3 s: drift that no event announces (a Redis flush) is repaired by it.
  world = await startOperatorWorld({ resyncPeriodMs: 3_000 });
});

after(async () => {
  await world?.stop();
});

async function readyClient(name: string, spec = CLIENT_CREDENTIALS, prefix = name) {
  const ns = await createNamespace(world, prefix);
  await createClient(world, oauthClient(ns, name, spec));
  const resource = await waitForReady(world, ns, name);
  const secret = await getSecret(world, ns, `${name}-oauth-client`);
  return { ns, resource, clientId: `${name}.${ns}`, clientSecret: secretString(secret, "client_secret") ?? "" };
}

test("rotation by annotation: a new secret, the previous one valid through the grace window, tokens revoked when asked", async () => {
  const spec = { ...CLIENT_CREDENTIALS, credentials: { rotation: { gracePeriod: "2h", revokeTokens: true } } };
  const { ns, clientId, clientSecret: old } = await readyClient("rotor", spec);
  const requestedAt = Date.now();
  await patchClient(world, ns, "rotor", { metadata: { annotations: { [ROTATE_ANNOTATION]: "2026-11-29T01:00:00Z" } } });
  const rotated = await waitForClient(
    world,
    ns,
    "rotor",
    "rotation handled",
    (r) => r.status?.rotationRequestHandled === "2026-11-29T01:00:00Z" && condition(r, "Ready")?.status === "True",
  );
  assert.equal(condition(rotated, "CredentialsReady")?.reason, "SecretRotated");
  const fresh = secretString(await getSecret(world, ns, "rotor-oauth-client"), "client_secret") ?? "";
  assert.notEqual(fresh, old);
  assert.equal(secretString(await getSecret(world, ns, "rotor-oauth-client"), "client_id"), clientId, "same client ID");

  const record = await world.registry.get(clientId);
  assert.equal(record?.secrets.length, 2, "current and previous");
  const [current, previous] = record?.secrets ?? [];
  assert.ok(verifySecret(fresh, current?.hash ?? "") && current?.expiresAt === undefined);
  assert.ok(verifySecret(old, previous?.hash ?? ""), "the previous secret still verifies");
  const grace = (previous?.expiresAt ?? 0) - requestedAt;
  assert.ok(grace > 2 * 3600_000 - 60_000 && grace <= 2 * 3600_000 + 60_000, `grace window ${grace} ms`);
  assert.ok(
    (record?.revokeTokensIssuedBefore ?? 0) >= Math.floor(requestedAt / 1000),
    "tokens issued before the rotation are dead",
  );
  await waitForEvent(world, ns, "rotor", "SecretRotated", "Normal");

  // The same annotation value is not a new request: no second rotation on later reconciles.
  await patchClient(world, ns, "rotor", { spec: { displayName: "Rotor" } });
  await waitForRecord(world, clientId, "display name", (r) => r?.displayName === "Rotor");
  assert.equal(secretString(await getSecret(world, ns, "rotor-oauth-client"), "client_secret"), fresh);
});

test("the grace window ends on time: the previous secret leaves the registry and the Secret without any event", async () => {
  const spec = { ...CLIENT_CREDENTIALS, credentials: { rotation: { gracePeriod: "2s" } } };
  const { ns, clientId, clientSecret: old } = await readyClient("brief", spec);
  await patchClient(world, ns, "brief", { metadata: { annotations: { [ROTATE_ANNOTATION]: "now" } } });
  const during = await waitForRecord(world, clientId, "in the grace window", (r) => r?.secrets.length === 2);
  assert.ok(verifySecret(old, during?.secrets[1]?.hash ?? ""));
  const after = await waitForRecord(world, clientId, "after the grace window", (r) => r?.secrets.length === 1, 15_000);
  assert.ok(!verifySecret(old, after?.secrets[0]?.hash ?? ""));
  const annotations = (await getSecret(world, ns, "brief-oauth-client"))?.metadata?.annotations ?? {};
  assert.equal(annotations[SecretAnnotation.previousHash], undefined);
});

test("rotation on schedule: due when the secret is older than rotation.every", async () => {
  const spec = { ...CLIENT_CREDENTIALS, credentials: { rotation: { every: "24h", gracePeriod: "1h" } } };
  const { ns, clientId, clientSecret: old } = await readyClient("sched", spec);
  // Not due yet: nothing happens on resyncs.
  await new Promise((r) => setTimeout(r, 3_500));
  assert.equal(secretString(await getSecret(world, ns, "sched-oauth-client"), "client_secret"), old);

  // The secret was last rotated 25 hours ago, as far as the world can tell: the Secret's
  // rotated-at annotation (written atomically with the secret; status mirrors it) says so.
  const longAgo = new Date(Date.now() - 25 * 3600_000).toISOString();
  await world.kube.core.patchNamespacedSecret(
    {
      namespace: ns,
      name: "sched-oauth-client",
      body: { metadata: { annotations: { [SecretAnnotation.rotatedAt]: longAgo } } },
    },
    mergePatch,
  );
  const rotated = await waitForClient(
    world,
    ns,
    "sched",
    "rotated",
    (r) => condition(r, "CredentialsReady")?.reason === "SecretRotated" && condition(r, "Ready")?.status === "True",
  );
  assert.ok(Date.parse(rotated.status?.secretRotatedAt ?? "") > Date.now() - 60_000);
  const fresh = secretString(await getSecret(world, ns, "sched-oauth-client"), "client_secret") ?? "";
  assert.notEqual(fresh, old);
  const record = await waitForRecord(world, clientId, "two secrets", (r) => r?.secrets.length === 2);
  assert.ok(verifySecret(fresh, record?.secrets[0]?.hash ?? ""));
  assert.ok(verifySecret(old, record?.secrets[1]?.hash ?? ""));
  assert.equal(record?.revokeTokensIssuedBefore, undefined, "revokeTokens was not asked for");
});

test("drift: a person sets their own secret in the Secret; it is rehashed into the registry", async () => {
  const { ns, clientId } = await readyClient("edited");
  const mine = "my-own-secret-that-i-set-by-hand-0123456789abcdef";
  const secret = await getSecret(world, ns, "edited-oauth-client");
  assert.ok(secret);
  secret.data = {
    ...secret.data,
    client_secret: Buffer.from(mine).toString("base64"),
    client_id: Buffer.from("tampered").toString("base64"),
  };
  await world.kube.core.replaceNamespacedSecret({ namespace: ns, name: "edited-oauth-client", body: secret });
  await waitForRecord(world, clientId, "the person's secret", (r) => verifySecret(mine, r?.secrets[0]?.hash ?? ""));
  const after = await waitForReason(world, ns, "edited", "CredentialsReady", "SecretChanged");
  assert.equal(after.status?.clientId, clientId);
  const repaired = await getSecret(world, ns, "edited-oauth-client");
  assert.equal(secretString(repaired, "client_secret"), mine, "the person's secret is kept");
  assert.equal(secretString(repaired, "client_id"), clientId, "the client ID is restored, never changed");
});

test("drift: a deleted Secret is recreated with a new secret and the same client ID, and says so", async () => {
  const { ns, clientId, clientSecret: old } = await readyClient("deleted");
  await world.kube.core.deleteNamespacedSecret({ namespace: ns, name: "deleted-oauth-client" });
  const regenerated = await waitForClient(
    world,
    ns,
    "deleted",
    "SecretRegenerated",
    (r) => condition(r, "CredentialsReady")?.reason === "SecretRegenerated" && condition(r, "Ready")?.status === "True",
  );
  assert.match(
    condition(regenerated, "CredentialsReady")?.message ?? "",
    /was deleted; a new client secret was issued/,
  );
  const secret = await getSecret(world, ns, "deleted-oauth-client");
  const fresh = secretString(secret, "client_secret") ?? "";
  assert.ok(fresh && fresh !== old);
  assert.equal(secretString(secret, "client_id"), clientId);
  assert.equal(regenerated.status?.clientId, clientId);
  const record = await waitForRecord(
    world,
    clientId,
    "the new secret only",
    (r) => r?.secrets.length === 1 && verifySecret(fresh, r.secrets[0]?.hash ?? ""),
  );
  assert.ok(!verifySecret(old, record?.secrets[0]?.hash ?? ""));
  await waitForEvent(world, ns, "deleted", "SecretRegenerated", "Warning");
});

test("drift: a registry entry deleted by hand, and a Redis flushed empty, are rebuilt without anyone acting", async () => {
  const a = await readyClient("reg-a", CLIENT_CREDENTIALS, "registry");
  const b = await readyClient("reg-b", CLIENT_CREDENTIALS, "registry");
  const redis = createRedisClient({ url: world.redis.url });
  await redis.connect();
  try {
    await redis.hDel(registryKeys.clients, a.clientId);
    const rebuilt = await waitForRecord(world, a.clientId, "rebuilt", (r) => r !== undefined);
    assert.ok(verifySecret(a.clientSecret, rebuilt?.secrets[0]?.hash ?? ""), "same secret, rehashed");

    await redis.flushAll();
    for (const { clientId, clientSecret } of [a, b]) {
      const record = await waitForRecord(world, clientId, "rebuilt after FLUSHALL", (r) => r !== undefined);
      assert.ok(verifySecret(clientSecret, record?.secrets[0]?.hash ?? ""));
    }
  } finally {
    await redis.close();
  }
});

test("Redis down: the Secret is written, not Ready (RegistryUnavailable) with a Warning Event; Redis back, empty: converges", async () => {
  const ns = await createNamespace(world, "outage");
  await world.redis.stop();
  try {
    await createClient(world, oauthClient(ns, "patient", CLIENT_CREDENTIALS));
    const waiting = await waitForReason(world, ns, "patient", "Ready", "RegistryUnavailable");
    assert.equal(condition(waiting, "Ready")?.status, "False");
    assert.match(condition(waiting, "RegistryReady")?.message ?? "", /The registry \(Redis\) is unreachable/);
    assert.equal(
      condition(waiting, "SecretReady")?.status,
      "True",
      "the registry is output only: the Secret does not wait",
    );
    await waitForEvent(world, ns, "patient", "RegistryWriteFailed", "Warning");
  } finally {
    await world.redis.restart();
  }
  await waitForReady(world, ns, "patient");
  assert.ok(await waitForRecord(world, `patient.${ns}`, "written once Redis is back", (r) => r !== undefined));
});

test("the API server restarts under the running operator: the watches recover and later changes converge", async () => {
  const { ns, clientId } = await readyClient("survivor");
  await world.cp.restartApiServer();
  await patchClient(world, ns, "survivor", { spec: { scopes: ["orders:read", "after-restart"] } });
  await waitForRecord(
    world,
    clientId,
    "the change made after the restart",
    (r) => r?.scopes.includes("after-restart") ?? false,
  );
  await createClient(world, oauthClient(ns, "newcomer", CLIENT_CREDENTIALS));
  await waitForReady(world, ns, "newcomer");
  assert.ok(await world.registry.get(`newcomer.${ns}`));
});
