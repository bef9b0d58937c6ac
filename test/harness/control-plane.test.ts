import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { CoreV1Api, VersionApi } from "@kubernetes/client-node";
import { createClient } from "redis";
import { startControlPlane } from "./control-plane.ts";
import { nodeLeftovers } from "./node-host.ts";
import { startRedis } from "./redis.ts";

const run = promisify(execFile);

/** Running, as opposed to gone or a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

test("the control plane serves the pinned version, the CRDs, and survives an apiserver restart", async () => {
  const cp = await startControlPlane();
  after(() => cp.stop());
  const version = await cp.kubeConfig.makeApiClient(VersionApi).getCode();
  assert.match(version.gitVersion, /^v1\.\d+\.\d+$/, "version is stamped, not v0.0.0-master");
  assert.notEqual(version.minor, "");
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: "harness-check" } } });
  await cp.restartApiServer();
  const ns = await core.readNamespace({ name: "harness-check" });
  assert.equal(ns.metadata?.name, "harness-check", "etcd kept the data across the apiserver restart");
  const { stdout } = await run(`${cp.binDir}/kubectl`, ["--kubeconfig", cp.kubeconfigPath, "get", "crd", "-o", "name"]);
  assert.match(stdout, /oauthclients\.tollgate\.dev/);
});

test("redis-server runs privately on loopback and restarts empty", async () => {
  const redis = await startRedis();
  after(() => redis.stop());
  const client = createClient({ url: redis.url });
  client.on("error", () => {});
  await client.connect();
  await client.set("k", "v");
  assert.equal(await client.get("k"), "v");
  await redis.restart();
  await client.close();
  const again = createClient({ url: redis.url });
  again.on("error", () => {});
  await again.connect();
  assert.equal(await again.get("k"), null);
  await again.close();
});

test("a test process that fails leaves no etcd, apiserver or redis behind", async () => {
  const probe = new URL("./leak-probe.ts", import.meta.url).pathname;
  const result = await run(process.execPath, [probe]).then(
    () => assert.fail("the probe should have failed"),
    (error: { code: number; stdout: string }) => error,
  );
  assert.notEqual(result.code, 0);
  const pids = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "[]") as number[];
  assert.equal(pids.length, 3, "etcd, kube-apiserver and redis-server were started");
  // SIGKILL is delivered at once, but the kernel needs a moment to take a large process down.
  for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(pids.filter(alive), []);
});

test("a test process that fails with a node up leaves no process, pod, mount, chain, bridge or address", async () => {
  const probe = new URL("./leak-probe.ts", import.meta.url).pathname;
  const result = await run(process.execPath, [probe, "--node"]).then(
    () => assert.fail("the probe should have failed"),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  assert.notEqual(result.code, 0);
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  assert.ok(line.startsWith("{"), `the probe printed what it started: ${result.stdout}${result.stderr}`);
  const { pids, tasks, dir } = JSON.parse(line) as { pids: number[]; tasks: number; dir: string };
  assert.ok(pids.length >= 7, "etcd, kube-apiserver, containerd, controller-manager, scheduler, kubelet, kube-proxy");
  assert.ok(tasks >= 2, "containerd ran tasks (CoreDNS and the probe pod, with their sandboxes)");
  assert.deepEqual(pids.filter(alive), []);
  assert.deepEqual(nodeLeftovers(dir), []);
});
