// Two operator processes (operator/main.ts as child processes, as two replicas of the
// Deployment would run): only the Lease holder writes; when it dies without releasing
// the Lease, the other takes over within the lease duration and converges; a graceful
// stop releases the Lease at once. The leader also manages the signing-key Secret.
// Last, with no replica left running, an operator limited to one namespace.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parseSigningKey } from "../../registry/signing-key-format.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "../harness/processes.ts";
import {
  CLIENT_CREDENTIALS,
  createClient,
  createNamespace,
  getClient,
  getSecret,
  ISSUER,
  metricsText,
  oauthClient,
  secretString,
  startTestOperator,
  startWorld,
  type World,
  waitForReady,
  waitForRecord,
} from "./support.ts";

const LEASE_SECONDS = 4;
let world: World;
const replicas = new Map<string, { process: ManagedProcess; port: number }>();

async function startReplica(identity: string): Promise<void> {
  const port = await freePort();
  const args = [
    join(import.meta.dirname, "..", "..", "operator", "main.ts"),
    `--kubeconfig=${world.cp.kubeconfigPath}`,
    `--redis-url=${world.redis.url}`,
    `--issuer=${ISSUER}`,
    "--metrics-host=127.0.0.1",
    `--metrics-port=${port}`,
    `--identity=${identity}`,
    "--lease-namespace=default",
    `--lease-duration=${LEASE_SECONDS}s`,
    "--renew-deadline=3s",
    "--retry-period=500ms",
    "--resync-period=5s",
    "--signing-keys-namespace=default",
    "--signing-key-rotation=4s",
    // The clients here act as subjects outside their namespaces, as in the other operator tests.
    "--subject-confinement=false",
  ];
  const process = startProcess(globalThis.process.execPath, args, join(world.logDir, `${identity}.log`));
  replicas.set(identity, { process, port });
  await waitFor(`${identity} /readyz`, async () => {
    if (process.child.exitCode !== null) throw new Error(`${identity} exited; see ${process.logFile}`);
    return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 || undefined;
  });
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await world.kube.coordination.readNamespacedLease({ namespace: "default", name: "tollgate-operator" });
  return lease.spec?.holderIdentity || undefined;
}

async function reconciles(identity: string): Promise<number> {
  const text = await metricsText(replicas.get(identity)?.port ?? 0);
  return [...text.matchAll(/^controller_runtime_reconcile_total\{[^}]*\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

before(async () => {
  world = await startWorld();
  await startReplica("replica-a");
  await waitFor("replica-a to lead", async () => (await leaseHolder()) === "replica-a" || undefined);
  await startReplica("replica-b");
});

after(async () => {
  for (const { process } of replicas.values()) await process.stop();
  await world?.stop();
});

test("only the leader reconciles and writes; the follower stands by with a synced cache", async () => {
  const ns = await createNamespace(world, "le");
  await createClient(world, oauthClient(ns, "led", CLIENT_CREDENTIALS));
  await waitForReady(world, ns, "led");
  assert.ok(await world.registry.get(`led.${ns}`));
  assert.equal(await leaseHolder(), "replica-a");
  assert.ok((await reconciles("replica-a")) > 0);
  assert.equal(await reconciles("replica-b"), 0, "the follower never reconciled");
  assert.match(
    await metricsText(replicas.get("replica-b")?.port ?? 0),
    /leader_election_master_status\{name="oauthclient"\} 0/,
  );
  const events = await world.kube.events.listNamespacedEvent({ namespace: ns });
  assert.ok(events.items.length > 0);
  assert.ok(
    events.items.every((e) => e.reportingInstance === "replica-a"),
    "every Event came from the leader",
  );
});

test("the leader signs: it creates the signing-key Secret and rotates it previous <- current <- next <- new", async () => {
  const read = async () => {
    const secret = await getSecret(world, "default", "tollgate-signing-keys");
    const slot = (file: string) => {
      const text = secretString(secret, file);
      return text === undefined ? undefined : parseSigningKey(text, file);
    };
    return { current: slot("current.jwk"), next: slot("next.jwk"), previous: slot("previous.jwk") };
  };
  const first = await waitFor("the signing keys", async () => {
    const keys = await read();
    return keys.current && keys.next ? keys : undefined;
  });
  const rotated = await waitFor(
    "a rotation",
    async () => {
      const keys = await read();
      return keys.previous && keys.current?.kid !== first.current?.kid ? keys : undefined;
    },
    { timeoutMs: 30_000 },
  );
  assert.equal(rotated.current?.kid, first.next?.kid, "next became current");
  assert.ok(rotated.previous?.kid === first.current?.kid || rotated.previous?.kid === first.next?.kid);
  assert.equal(rotated.current?.alg, "ES256");
});

test("kill the leader: the follower takes over within the lease duration and converges", async () => {
  const ns = await createNamespace(world, "takeover");
  const killedAt = Date.now();
  const leader = replicas.get("replica-a");
  assert.ok(leader?.process.child.pid);
  process.kill(-leader.process.child.pid, "SIGKILL"); // a crash: the Lease is not released
  await createClient(world, oauthClient(ns, "after-crash", CLIENT_CREDENTIALS));
  await waitFor("replica-b to lead", async () => (await leaseHolder()) === "replica-b" || undefined, {
    timeoutMs: 30_000,
  });
  const tookOverIn = Date.now() - killedAt;
  // The Lease lasts 4 s from its last renewal; the follower retries every 0.5 s.
  assert.ok(tookOverIn <= (LEASE_SECONDS + 2) * 1000, `took over after ${tookOverIn} ms`);
  await waitForReady(world, ns, "after-crash");
  await waitForRecord(world, `after-crash.${ns}`, "written by the new leader", (r) => r !== undefined);
  assert.ok((await reconciles("replica-b")) > 0);
});

test("a graceful stop (SIGTERM) releases the Lease at once", async () => {
  const stoppedAt = Date.now();
  await replicas.get("replica-b")?.process.stop(10_000);
  assert.ok(Date.now() - stoppedAt < 5_000, "stopped gracefully, without being killed");
  assert.equal(await leaseHolder(), undefined, "the Lease was released");
});

test("a namespaced operator (--namespaces) reconciles its namespaces only", async () => {
  const inside = await createNamespace(world, "watched");
  const outside = await createNamespace(world, "ignored");
  const operator = await startTestOperator(world, { namespaces: [inside], resyncPeriodMs: 1_000 });
  try {
    await operator.synced();
    await createClient(world, oauthClient(outside, "elsewhere", CLIENT_CREDENTIALS));
    await createClient(world, oauthClient(inside, "mine", CLIENT_CREDENTIALS));
    await waitForReady(world, inside, "mine");
    await new Promise((r) => setTimeout(r, 2_000)); // two resyncs
    const ignored = await getClient(world, outside, "elsewhere");
    assert.deepEqual(ignored?.status, { observedGeneration: 0 }, "not touched: the CRD's default only");
    assert.equal(ignored?.metadata.finalizers, undefined);
    assert.equal(await world.registry.get(`elsewhere.${outside}`), undefined);
  } finally {
    await operator.stop();
  }
});
