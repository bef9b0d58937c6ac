// Used by control-plane.test.ts: starts a control plane (with `--node`, a node running a
// pod, so that containerd shims, mounts and iptables rules exist), prints what it
// started, then fails the way a test would (an uncaught error), so the test can check
// that the harness took everything down with it.
import { startControlPlane } from "./control-plane.ts";
import { startedPids } from "./processes.ts";
import { startRedis } from "./redis.ts";

if (process.argv.includes("--node")) {
  const cp = await startControlPlane({ node: true, installCrds: false });
  const node = cp.node;
  if (!node) throw new Error("no node");
  await cp.kubectl([
    "run",
    "probe",
    `--image=${node.busyboxImage}`,
    "--image-pull-policy=Never",
    "--command",
    "--",
    "sleep",
    "3600",
  ]);
  await cp.kubectl(["wait", "--for=condition=Ready", "pod/probe", "--timeout=90s"]);
  const shims = (await node.ctr(["tasks", "ls", "-q"])).trim().split("\n");
  console.log(JSON.stringify({ pids: startedPids(), tasks: shims.length, dir: node.logDir.replace(/\/logs$/, "") }));
} else {
  await startControlPlane({ installCrds: false });
  await startRedis();
  console.log(JSON.stringify(startedPids()));
}
throw new Error("a failing test");
