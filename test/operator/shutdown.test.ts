// SIGTERM with the API server and Redis both hung (connections open, nothing answered):
// the operator still exits within --shutdown-timeout instead of waiting on them forever.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type FreezableProxy, startFreezableProxy } from "../harness/freezable-proxy.ts";
import { freePort, startProcess, waitFor } from "../harness/processes.ts";
import { ISSUER, startWorld, type World } from "./support.ts";

let world: World;
const proxies: FreezableProxy[] = [];

before(async () => {
  world = await startWorld();
});
after(async () => {
  for (const proxy of proxies) await proxy.close();
  await world?.stop();
});

test("SIGTERM with the API server and Redis hung: the operator exits within --shutdown-timeout", async () => {
  const apiserver = new URL(world.cp.server);
  const redis = new URL(world.redis.url);
  const apiProxy = await startFreezableProxy("127.0.0.1", Number(apiserver.port));
  const redisProxy = await startFreezableProxy("127.0.0.1", Number(redis.port));
  proxies.push(apiProxy, redisProxy);
  const kubeconfig = join(world.logDir, "kubeconfig-via-proxy");
  await writeFile(
    kubeconfig,
    (await readFile(world.cp.kubeconfigPath, "utf8")).replace(world.cp.server, `https://127.0.0.1:${apiProxy.port}`),
  );
  const port = await freePort();
  const operator = startProcess(
    process.execPath,
    [
      join(import.meta.dirname, "..", "..", "operator", "main.ts"),
      `--kubeconfig=${kubeconfig}`,
      `--redis-url=redis://127.0.0.1:${redisProxy.port}`,
      `--issuer=${ISSUER}`,
      "--metrics-host=127.0.0.1",
      `--metrics-port=${port}`,
      "--lease-namespace=default",
      "--signing-keys-namespace=default",
      "--shutdown-timeout=3s",
    ],
    join(world.logDir, "operator.log"),
  );
  try {
    await waitFor("the operator to lead and be ready", async () => {
      if (operator.child.exitCode !== null) throw new Error(`exited; see ${operator.logFile}`);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined))?.text();
      return /leader_election_master_status\{name="oauthclient"\} 1/.test(text ?? "") || undefined;
    });
    apiProxy.freeze();
    redisProxy.freeze();
    const started = Date.now();
    const exit = new Promise<number | null>((resolve) => operator.child.once("exit", (code) => resolve(code)));
    process.kill(operator.child.pid as number, "SIGTERM");
    const code = await exit;
    const afterMs = Date.now() - started;
    const log = await readFile(operator.logFile, "utf8");
    assert.ok(afterMs < 3000 + 2000, `exited ${afterMs} ms after SIGTERM:\n${log}`);
    assert.equal(code, 1, "a shutdown cut short by its deadline says so in the exit code");
    assert.match(log, /shutdown deadline passed/);
  } finally {
    await operator.stop(1000);
  }
});
