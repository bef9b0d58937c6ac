// Two defects, from outside: OAuthClients that claim one client ID at the same moment
// (exactly one may ever hold it, whatever the timing), and an operator that starts
// while Redis is unreachable (it must start, write Secrets, report the outage on each
// resource, and register the clients when Redis is back).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { verifySecret } from "../../registry/secret-hash.ts";
import { waitFor } from "../harness/processes.ts";
import {
  CLIENT_CREDENTIALS,
  condition,
  createClient,
  createNamespace,
  getClient,
  getSecret,
  metricsText,
  oauthClient,
  secretString,
  startTestOperator,
  startWorld,
  type World,
  waitForClient,
  waitForReady,
  waitForRecord,
} from "./support.ts";

let world: World;
before(async () => {
  world = await startWorld();
});
after(() => world?.stop());

test("OAuthClients applied together with one spec.clientId: exactly one holds it, and its secret works (5 tries)", async () => {
  const operator = await startTestOperator(world);
  try {
    await operator.synced();
    for (let round = 0; round < 5; round++) {
      const [nsA, nsB] = [await createNamespace(world, "claim-a"), await createNamespace(world, "claim-b")];
      const clientId = `contended-${round}`;
      if (round % 2 === 0)
        await Promise.all([
          createClient(world, oauthClient(nsA, "one", { ...CLIENT_CREDENTIALS, clientId })),
          createClient(world, oauthClient(nsB, "two", { ...CLIENT_CREDENTIALS, clientId })),
        ]);
      else {
        // The second arrives while the first is being reconciled (its finalizer on, its status not yet).
        await createClient(world, oauthClient(nsA, "one", { ...CLIENT_CREDENTIALS, clientId }));
        await waitForClient(
          world,
          nsA,
          "one",
          "its reconcile under way",
          (r) => (r.metadata.finalizers?.length ?? 0) > 0,
        );
        await createClient(world, oauthClient(nsB, "two", { ...CLIENT_CREDENTIALS, clientId }));
      }
      const settled = (ns: string, name: string) =>
        waitForClient(world, ns, name, "a settled client-ID decision", (r) => {
          const reason = condition(r, "Ready")?.reason;
          return condition(r, "Ready")?.status === "True" || reason === "ClientIdConflict";
        });
      const [a, b] = await Promise.all([settled(nsA, "one"), settled(nsB, "two")]);
      // Both settled; a late writer would show within the next reconciles of both: look once the
      // operator has nothing queued for them any more (the registry's record stops changing).
      const stable = async () => JSON.stringify(await world.registry.get(clientId));
      let last = await stable();
      await waitFor(
        "the registry record to stay put",
        async () => {
          const now = await stable();
          const same = now === last;
          last = now;
          return same || undefined;
        },
        { timeoutMs: 10_000, intervalMs: 300 },
      );
      const [one, two] = await Promise.all([getClient(world, nsA, "one"), getClient(world, nsB, "two")]);
      const holders = [one, two].filter((r) => r?.status?.clientId === clientId);
      assert.equal(
        holders.length,
        1,
        `round ${round}: exactly one holds the ID (${a.metadata.name}, ${b.metadata.name})`,
      );
      const holder = holders[0];
      const loser = holder === one ? two : one;
      assert.equal(condition(holder, "Ready")?.status, "True", `round ${round}: the holder is Ready`);
      assert.equal(condition(loser, "Ready")?.reason, "ClientIdConflict", `round ${round}: the other is not`);
      const record = await world.registry.get(clientId);
      assert.equal(record?.sourceUid, holder?.metadata.uid, `round ${round}: the registry is the holder's`);
      const secret = await getSecret(world, holder?.metadata.namespace ?? "", `${holder?.metadata.name}-oauth-client`);
      const value = secretString(secret, "client_secret") ?? "";
      assert.ok(
        record?.secrets.some((s) => verifySecret(value, s.hash)),
        `round ${round}: the holder's Secret holds a secret the registry accepts`,
      );
    }
  } finally {
    await operator.stop();
  }
});

test("Redis unreachable at start: the operator starts, new clients get their Secret, and become Ready when Redis returns", async () => {
  await world.redis.stop();
  const started = Date.now();
  const operator = await startTestOperator(world);
  try {
    await operator.synced();
    assert.ok(Date.now() - started < 30_000, "the controllers start whatever Redis does");
    const ns = await createNamespace(world, "outage");
    await createClient(world, oauthClient(ns, "during", CLIENT_CREDENTIALS));
    const waiting = await waitForClient(world, ns, "during", "the outage reported", (r) => {
      return condition(r, "SecretReady")?.status === "True" && condition(r, "RegistryReady")?.status === "False";
    });
    assert.equal(condition(waiting, "RegistryReady")?.reason, "RegistryUnavailable");
    assert.equal(condition(waiting, "Ready")?.status, "False");
    const secret = await getSecret(world, ns, "during-oauth-client");
    assert.ok(secretString(secret, "client_secret"), "the Secret is written during the outage");
    assert.match(await metricsText(operator.port), /tollgate_registry_available 0/);

    await world.redis.restart();
    await waitForReady(world, ns, "during");
    const clientId = (await getClient(world, ns, "during"))?.status?.clientId ?? "";
    const record = await waitForRecord(world, clientId, "registered after the outage", (r) => r !== undefined);
    const value = secretString(await getSecret(world, ns, "during-oauth-client"), "client_secret") ?? "";
    assert.ok(
      record?.secrets.some((s) => verifySecret(value, s.hash)),
      "the Secret's secret is the registered one",
    );
    await waitFor(
      "the availability gauge",
      async () => /tollgate_registry_available 1/.test(await metricsText(operator.port)) || undefined,
      { timeoutMs: 10_000 },
    );
  } finally {
    await operator.stop();
  }
});
