// Reconcile throughput: N OAuthClients (TOLLGATE_BENCH_CLIENTS, default 1000) applied
// to a real kube-apiserver with one operator process running (operator/main.ts compiled as in the image, as in
// production), timed until every one is Ready for its generation and every registry
// record is in Redis. Prints the rate, the operator's peak RSS (VmHWM), and the
// reconciles per client 10 s after the last client became Ready (a converged client
// must cost about one reconcile: its own status writes wake nothing).
//
//   npm run bench                     # with the other benchmarks
//   node bench/reconcile.ts           # alone
//   TOLLGATE_BENCH_CLIENTS=200 TOLLGATE_BENCH_CONCURRENCY=8 node bench/reconcile.ts
//
// TOLLGATE_BENCH_NAMESPACES spreads the clients over that many namespaces, and
// TOLLGATE_BENCH_FOREIGN_SECRETS creates that many unrelated Secrets (4 KiB of data
// each) before the operator starts, which it must not hold in memory; then a token
// server is started on the registry and its RSS with every client loaded is printed.
// Both run with the image's Node flags (lib/image-node-flags.ts), as shipped.
// bench/reconcile-scale.ts runs the 10,000-client configuration.
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Watch } from "@kubernetes/client-node";
import { API_VERSION, GROUP, KIND, type OAuthClient, PLURAL, VERSION } from "../api/v1alpha1/oauthclient.ts";
import { makeClients } from "../operator/kube.ts";
import { RecordKeyRing } from "../registry/record-keys.ts";
import { RedisRegistry } from "../registry/redis-registry.ts";
import { generateSigningKey, serializeSigningKey } from "../registry/signing-key-format.ts";
import { startControlPlane } from "../test/harness/control-plane.ts";
import { countReadyClients } from "../test/harness/oauth-clients.ts";
import { freePort, startProcess, waitFor } from "../test/harness/processes.ts";
import { followRecordKeysSecret, TEST_RECORD_KEYS_SECRET } from "../test/harness/record-keys.ts";
import { startRedis } from "../test/harness/redis.ts";
import { imageNodeFlags } from "./lib/image-node-flags.ts";
import { shippedScript } from "./lib/shipped-script.ts";

const clients = Number(process.env.TOLLGATE_BENCH_CLIENTS ?? 1000);
const concurrency = Number(process.env.TOLLGATE_BENCH_CONCURRENCY ?? 8);
const namespaceCount = Number(process.env.TOLLGATE_BENCH_NAMESPACES ?? 1);
const foreignSecrets = Number(process.env.TOLLGATE_BENCH_FOREIGN_SECRETS ?? 0);
const applyParallelism = 16;
const namespaces = Array.from({ length: namespaceCount }, (_, i) => (namespaceCount === 1 ? "bench" : `bench-${i}`));

const [cp, redis] = await Promise.all([startControlPlane(), startRedis()]);
const kube = makeClients(cp.kubeConfig);
// The operator process creates the record keys Secret; the bench reads records with them.
const recordKeys = new RecordKeyRing();
followRecordKeysSecret(kube, recordKeys);
const registry = await RedisRegistry.connect(redis.url, recordKeys);
const port = await freePort();

/** Runs `task(i)` for i in [0, count) with `parallelism` at a time. */
async function inParallel(count: number, parallelism: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallelism }, async () => {
      for (let i = next++; i < count; i = next++) await task(i);
    }),
  );
}

// The cluster's other Secrets exist before the operator lists them, as on a real cluster.
for (const name of [...namespaces, "foreign"]) await kube.core.createNamespace({ body: { metadata: { name } } });
const foreignStarted = performance.now();
const payload = Buffer.alloc(3072, "x").toString("base64"); // 4 KiB of data
await inParallel(foreignSecrets, 32, (i) =>
  kube.core.createNamespacedSecret({
    namespace: "foreign",
    body: { metadata: { name: `unrelated-${i}` }, data: { "payload.bin": payload } },
  }),
);
const foreignSeconds = (performance.now() - foreignStarted) / 1000;

const operator = startProcess(
  process.execPath,
  [
    // e.g. TOLLGATE_BENCH_OPERATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the operator.
    ...imageNodeFlags(),
    ...(process.env.TOLLGATE_BENCH_OPERATOR_NODE_ARGS ?? "").split(" ").filter(Boolean),
    shippedScript("operator/main.ts"),
    `--kubeconfig=${cp.kubeconfigPath}`,
    `--redis-url=${redis.url}`,
    "--issuer=https://tokens.bench.test",
    "--metrics-host=127.0.0.1",
    `--metrics-port=${port}`,
    "--leader-elect=false",
    `--concurrency=${concurrency}`,
    "--signing-keys-secret=",
    "--log-level=warn",
  ],
  join(tmpdir(), `tollgate-bench-operator-${process.pid}.log`),
);

try {
  await waitFor("the operator's /readyz", async () => {
    if (operator.child.exitCode !== null) throw new Error(`the operator exited; see ${operator.logFile}`);
    return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200 || undefined;
  });
  // Its start-up (lists, watches, the record keys Secret) is not the clients' cost.
  const requestsAtStart = apiRequests(await scrapeMetrics());

  const readyWatch = await watchReady();
  const controlPlaneCpuAtStart = controlPlaneCpuSeconds();
  const started = performance.now();
  const applyOne = async (i: number) => {
    const namespace = namespaces[i % namespaces.length] as string;
    const body: OAuthClient = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: `client-${i}`, namespace },
      spec: {
        grantTypes: ["client_credentials"],
        subject: `${namespace}/svc-${i}`,
        scopes: ["read", "write"],
        defaultScopes: ["read"],
      },
    };
    await kube.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body });
  };
  await inParallel(clients, applyParallelism, applyOne);
  const applied = performance.now();

  // Ready is followed through a watch, and confirmed with one list at the end: listing
  // 10,000 OAuthClients every second would load the API server the operator is measured on.
  await waitFor(
    `${clients} clients Ready and registered`,
    async () => {
      if (readyWatch.ended() && readyWatch.readyCount() < clients) readyWatch.recount(await countAllReady());
      if (readyWatch.readyCount() < clients) return undefined;
      if ((await countAllReady()) < clients) return undefined;
      return (await registry.snapshot()).clients.size === clients || undefined;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 1000 },
  );
  const converged = performance.now();
  const seconds = (converged - started) / 1000;
  const peakRss = peakRssBytes(operator.child.pid ?? 0);
  const cpuSeconds = cpuSecondsOf(operator.child.pid ?? 0);
  const controlPlaneCpu = controlPlaneCpuSeconds();
  const scrape = async () => {
    const metrics = await scrapeMetrics();
    return (name: string) =>
      [...metrics.matchAll(new RegExp(`^${name}\\{[^}]*controller="oauthclient"[^}]*\\} ([0-9.e+-]+)$`, "gm"))].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
  };
  const metric = await scrape();
  const reconciles = metric("controller_runtime_reconcile_total");
  const requestsToReady = perClient(apiRequests(await scrapeMetrics()), requestsAtStart);
  const reconcileSeconds = metric("controller_runtime_reconcile_time_seconds_sum");
  // Reconciles still coming after convergence (status writes waking their own object)
  // only show once things settle: measured 10 s after the last client became Ready.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const settled = (await scrape())("controller_runtime_reconcile_total");
  const requestsSettled = perClient(apiRequests(await scrapeMetrics()), requestsAtStart);
  const tokenServerRss = await tokenServerRssWithRegistry();
  process.stdout.write(
    [
      `operator reconcile: ${clients} OAuthClients in ${namespaceCount} namespace(s), ${foreignSecrets} unrelated Secrets (4 KiB) created in ${foreignSeconds.toFixed(0)} s, concurrency ${concurrency}`,
      `  applied in            ${((applied - started) / 1000).toFixed(1)} s`,
      `  all Ready + registered ${seconds.toFixed(1)} s after the first apply`,
      `  rate                  ${(clients / seconds).toFixed(1)} clients/s`,
      `  operator peak RSS     ${(peakRss / 1024 / 1024).toFixed(0)} MiB`,
      `  operator CPU          ${cpuSeconds.toFixed(1)} s (user + system, start-up included)`,
      `  reconciles            ${reconciles} (${(reconciles / clients).toFixed(1)} per client, mean ${((reconcileSeconds / reconciles) * 1000).toFixed(0)} ms)`,
      `  reconciles per client ${(settled / clients).toFixed(2)} 10 s after the last became Ready (target <= 1.1)`,
      `  API requests/client   ${requestsToReady} to Ready; ${requestsSettled} 10 s later (operator's rest_client_requests_total)`,
      // What bounds the rate on a small machine: the API server's own work for the
      // clients' creates and the operator's requests, on the same cores.
      `  API server + etcd CPU ${(controlPlaneCpu.apiserver - controlPlaneCpuAtStart.apiserver).toFixed(0)} s + ${(controlPlaneCpu.etcd - controlPlaneCpuAtStart.etcd).toFixed(0)} s from the first apply to all Ready (${(((controlPlaneCpu.apiserver - controlPlaneCpuAtStart.apiserver) / seconds) * 100).toFixed(0)} % of a core for the API server)`,
      `  token server RSS      ${(tokenServerRss / 1024 / 1024).toFixed(0)} MiB idle with the ${clients}-client registry loaded`,
      "",
    ].join("\n"),
  );
} finally {
  await operator.stop();
  await registry.close();
  await Promise.all([cp.stop(), redis.stop()]);
}

async function countAllReady(): Promise<number> {
  return (await Promise.all(namespaces.map((ns) => countReadyClients(kube.custom, ns)))).reduce((a, b) => a + b, 0);
}

/** The OAuthClients Ready for their generation, followed by one watch of them all. */
async function watchReady() {
  const ready = new Set<string>();
  let ended = false;
  let counted = 0;
  await new Watch(cp.kubeConfig).watch(
    `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    {},
    (phase: string, object: OAuthClient) => {
      const key = `${object.metadata.namespace}/${object.metadata.name}`;
      const condition = object.status?.conditions?.find((c) => c.type === "Ready");
      const isReady =
        phase !== "DELETED" &&
        condition?.status === "True" &&
        object.status?.observedGeneration === object.metadata.generation;
      if (isReady) ready.add(key);
      else ready.delete(key);
    },
    () => {
      ended = true;
    },
  );
  return {
    readyCount: () => Math.max(ready.size, counted),
    ended: () => ended,
    /** After the watch ended (the server's timeout), a list's count stands in. */
    recount: (count: number) => {
      counted = count;
    },
  };
}

async function scrapeMetrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The operator's requests to the API server so far, by HTTP method. */
function apiRequests(metrics: string): Map<string, number> {
  const byMethod = new Map<string, number>();
  for (const m of metrics.matchAll(/^rest_client_requests_total\{method="([A-Z]+)"\} ([0-9.e+-]+)$/gm))
    byMethod.set(m[1] as string, Number(m[2]));
  return byMethod;
}

/** What `to` counts beyond `from`, per client: the total and each method. */
function perClient(to: Map<string, number>, from: Map<string, number>): string {
  const delta = [...to].map(([method, n]) => [method, (n - (from.get(method) ?? 0)) / clients] as const);
  const total = delta.reduce((sum, [, n]) => sum + n, 0);
  return `${total.toFixed(2)} (${delta
    .filter(([, n]) => n > 0)
    .map(([method, n]) => `${method} ${n.toFixed(2)}`)
    .join(", ")})`;
}

/** Starts a token server (token-server/main.ts, as in production) on the registry and reads its RSS once it is ready. */
async function tokenServerRssWithRegistry(): Promise<number> {
  const keysDir = await mkdtemp(join(tmpdir(), "tollgate-bench-keys-"));
  await writeFile(join(keysDir, "current.jwk"), serializeSigningKey(await generateSigningKey("ES256")));
  // The operator's registry record keys, as the chart mounts its Secret into the token server.
  const recordKeysDir = await mkdtemp(join(tmpdir(), "tollgate-bench-record-keys-"));
  const recordKeysSecret = await kube.core.readNamespacedSecret(TEST_RECORD_KEYS_SECRET);
  for (const [file, value] of Object.entries(recordKeysSecret.data ?? {}))
    await writeFile(join(recordKeysDir, file), Buffer.from(value, "base64"));
  const serverPort = await freePort();
  const managementPort = await freePort();
  const server = startProcess(
    process.execPath,
    [
      ...imageNodeFlags(),
      shippedScript("token-server/main.ts"),
      `--redis-url=${redis.url}`,
      `--signing-keys-dir=${keysDir}`,
      `--registry-keys-dir=${recordKeysDir}`,
      "--host=127.0.0.1",
      `--port=${serverPort}`,
      `--management-port=${managementPort}`,
      "--issuer=https://tokens.bench.test",
      "--log-level=warn",
    ],
    join(tmpdir(), `tollgate-bench-token-server-${process.pid}.log`),
  );
  try {
    await waitFor(
      "the token server ready with the registry",
      async () => {
        if (server.child.exitCode !== null) throw new Error(`the token server exited; see ${server.logFile}`);
        return (
          (await fetch(`http://127.0.0.1:${managementPort}/readyz`).catch(() => undefined))?.status === 200 || undefined
        );
      },
      { timeoutMs: 120_000 },
    );
    // Settle: the load's garbage collected, as a pod's idle memory would be.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const status = readFileSync(`/proc/${server.child.pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0) * 1024;
  } finally {
    await server.stop();
  }
}

/** VmHWM: the peak resident set size of a process, from the kernel. */
function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** CPU seconds so far of this control plane's kube-apiserver and etcd (found by their data directory). */
function controlPlaneCpuSeconds(): { apiserver: number; etcd: number } {
  const dir = dirname(cp.kubeconfigPath);
  const found = { apiserver: 0, etcd: 0 };
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    if (!commandLine.includes(dir)) continue;
    const binary = basename(commandLine.split("\0")[0] ?? "");
    if (binary === "kube-apiserver") found.apiserver = cpuSecondsOf(Number(entry));
    if (binary === "etcd") found.etcd = cpuSecondsOf(Number(entry));
  }
  return found;
}

/** utime + stime of a process, from /proc/<pid>/stat (clock ticks, 100 per second on Linux). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
