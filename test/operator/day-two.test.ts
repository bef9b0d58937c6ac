// Day two with an OAuthClient, on a real API server and Redis with the operator running:
// disable, enable and revoke as a person does them (an edit of the spec), seen the way a
// person sees them: Events (the events API, what `kubectl get events` lists), the DISABLED
// column of `kubectl get oauthclients`, the conditions, and `kubectl wait`.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  CLIENT_CREDENTIALS,
  condition,
  createClient,
  createNamespace,
  eventsFor,
  getClient,
  type OperatorWorld,
  oauthClient,
  patchClient,
  startOperatorWorld,
  waitForEvent,
  waitForReady,
  waitForRecord,
} from "./support.ts";

let world: OperatorWorld;

before(async () => {
  world = await startOperatorWorld();
});
after(() => world?.stop());

/** `kubectl get oauthclients` as a person runs it: the row of `name`, by column. */
async function row(ns: string, name: string): Promise<Record<string, string>> {
  const out = await world.cp.kubectl(["get", "oauthclients", "-n", ns]);
  const [header = "", ...lines] = out.trim().split("\n");
  const starts = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index ?? 0 }));
  const line = lines.find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no row for ${name} in\n${out}`);
  return Object.fromEntries(starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()]));
}

test("disable, enable, revoke: an Event for each and for every registry write; the DISABLED column; Ready stays True", async () => {
  const ns = await createNamespace(world, "day-two");
  await createClient(world, oauthClient(ns, "orders", CLIENT_CREDENTIALS));
  const ready = await waitForReady(world, ns, "orders");
  const clientId = ready.status?.clientId as string;
  const created = await waitForEvent(world, ns, "orders", "Registered", "Normal");
  assert.match(
    created.note,
    new RegExp(`registry record for client ${clientId.replace(".", "\\.")} created for generation 1$`),
  );
  const enabledRow = await row(ns, "orders");
  assert.equal(enabledRow["CLIENT ID"], clientId);
  assert.equal(enabledRow.READY, "True");
  assert.equal(enabledRow.DISABLED, "False");

  await patchClient(world, ns, "orders", { spec: { disabled: true } });
  // kubectl wait skips conditions set for an older generation: it returns on generation 2's Ready.
  await world.cp.kubectl(["wait", "-n", ns, "--for=condition=Ready", "oauthclient/orders", "--timeout=60s"]);
  const disabled = await getClient(world, ns, "orders");
  assert.equal(disabled?.status?.observedGeneration, 2);
  assert.equal(condition(disabled, "Ready")?.status, "True", "a disabled client is Ready: the spec is in effect");
  assert.equal(condition(disabled, "Ready")?.reason, "Disabled");
  assert.equal(condition(disabled, "Disabled")?.status, "True");
  assert.equal((await world.registry.get(clientId))?.disabled, true);
  await world.cp.kubectl(["wait", "-n", ns, "--for=condition=Disabled", "oauthclient/orders", "--timeout=10s"]);
  const off = await waitForEvent(world, ns, "orders", "ClientDisabled", "Normal");
  assert.match(off.note, new RegExp(`^Client ${clientId.replace(".", "\\.")} is disabled`));
  assert.deepEqual(
    (await eventsFor(world, ns, "orders")).filter((e) => e.reason === "RegistryUpdated").map((e) => e.note),
    [`Registry record for client ${clientId} updated for generation 2: disabled`],
  );
  const disabledRow = await row(ns, "orders");
  assert.equal(disabledRow.READY, "True");
  assert.equal(disabledRow.DISABLED, "True");

  await patchClient(world, ns, "orders", { spec: { disabled: false } });
  await world.cp.kubectl(["wait", "-n", ns, "--for=condition=Disabled=False", "oauthclient/orders", "--timeout=60s"]);
  await waitForEvent(world, ns, "orders", "ClientEnabled", "Normal");
  assert.equal((await row(ns, "orders")).DISABLED, "False");
  assert.equal(condition(await getClient(world, ns, "orders"), "Ready")?.reason, "Ready");

  const revokeAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString().replace(".000", "");
  await patchClient(world, ns, "orders", { spec: { revokeTokensIssuedBefore: revokeAt } });
  const revoked = await waitForEvent(world, ns, "orders", "TokensRevoked", "Normal");
  assert.equal(
    revoked.note,
    `Every token of client ${clientId} issued before ${new Date(revokeAt).toISOString()} is revoked (spec.revokeTokensIssuedBefore)`,
  );
  await waitForRecord(
    world,
    clientId,
    "revoke-before",
    (r) => r?.revokeTokensIssuedBefore === Date.parse(revokeAt) / 1000,
  );
  const updates = (await eventsFor(world, ns, "orders"))
    .filter((e) => e.reason === "RegistryUpdated")
    .map((e) => e.note);
  assert.deepEqual(updates.slice(1), [
    `Registry record for client ${clientId} updated for generation 3: disabled`,
    `Registry record for client ${clientId} updated for generation 4: revokeTokensIssuedBefore`,
  ]);
  // The kubectl view of the same Events.
  const listed = await world.cp.kubectl(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=orders"]);
  for (const reason of ["ClientDisabled", "ClientEnabled", "TokensRevoked", "RegistryUpdated"])
    assert.match(listed, new RegExp(`\\b${reason}\\b`), `kubectl get events lists ${reason}`);
});

test("a client created disabled: one ClientDisabled, no ClientEnabled", async () => {
  const ns = await createNamespace(world, "born-off");
  await createClient(world, oauthClient(ns, "dormant", { ...CLIENT_CREDENTIALS, disabled: true }));
  await waitForReady(world, ns, "dormant");
  await waitForEvent(world, ns, "dormant", "ClientDisabled");
  const reasons = (await eventsFor(world, ns, "dormant")).map((e) => e.reason);
  assert.equal(reasons.filter((r) => r === "ClientDisabled").length, 1);
  assert.ok(!reasons.includes("ClientEnabled"));
  assert.ok(!reasons.includes("TokensRevoked"), "nothing was revoked: the record is new");
});

test("adopting an existing Secret: a SecretAdopted Event", async () => {
  const ns = await createNamespace(world, "adopt");
  await world.kube.core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: "team-creds" },
      stringData: { client_secret: "a-secret-the-team-chose-0123456789abcdef" },
    },
  });
  await createClient(
    world,
    oauthClient(ns, "legacy", { ...CLIENT_CREDENTIALS, credentials: { source: "adopt", secretName: "team-creds" } }),
  );
  await waitForReady(world, ns, "legacy");
  const adopted = await waitForEvent(world, ns, "legacy", "SecretAdopted", "Normal");
  assert.match(adopted.note, new RegExp(`^Using the client secret from Secret ${ns}/team-creds \\(adopted`));
  assert.ok(
    !(await eventsFor(world, ns, "legacy")).some((e) => e.reason === "CredentialsCreated"),
    "nothing was generated",
  );
});
