// What a test node changes on the host, and how all of it is taken back. Every function
// here is synchronous: the same sweep runs from stop(), from the process's `exit` hook
// (an uncaught error, Ctrl-C: no event loop left) and, at the next start, for a test
// process that was SIGKILLed and could run nothing.
//
// One node per machine: the bridge, the pod subnet, the address on lo and kube-proxy's
// KUBE-* chains are machine-wide, so a lock file serialises nodes across processes.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

/** The fixed shape of the test node. Private ranges picked to collide with nothing usual. */
export const NODE = {
  name: "tollgate-node",
  /** On `lo`: the kubelet refuses a loopback node IP, and the `dummy` module is absent here. */
  ip: "10.99.0.1",
  podSubnet: "10.244.77.0/24",
  bridge: "tollgate0",
  /** The CNI network name; the bridge plugin's iptables comments carry it. */
  network: "tollgate-pods",
  serviceSubnet: "10.0.0.0/24",
  dnsIp: "10.0.0.10",
  clusterDomain: "cluster.local",
  /** The kubelet's cgroupRoot: every pod process lives below /sys/fs/cgroup/<controller>/tollgate. */
  cgroupRoot: "tollgate",
} as const;

const LOCK = "/run/tollgate-test-node.lock";
const SHIM_SOCKETS = "/run/containerd/s";
const CONTAINER_LOG_LINKS = "/var/log/containers";
const CNI_RESULTS = "/var/lib/cni/results";
/** The kubelet's device-plugin socket dir is fixed, whatever --root-dir says. */
const DEVICE_PLUGINS = "/var/lib/kubelet/device-plugins";

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function run(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

function tryRun(command: string, args: string[], input?: string): string | undefined {
  try {
    return run(command, args, input);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- the machine-wide lock

interface LockOwner {
  pid: number;
  /** /proc/PID/stat start time, so a recycled PID is not taken for the owner. */
  start: string;
  dir: string;
}

function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

function readLock(): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(LOCK, "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * Takes the machine's node lock for `dir`, waiting while a live process holds it. A lock
 * whose owner is gone is taken over after sweeping what that owner left behind.
 */
export async function acquireNodeLock(dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(LOCK, "wx", 0o600);
      writeFileSync(fd, JSON.stringify({ pid: process.pid, start: processStart(process.pid), dir }));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readLock();
    if (!owner || processStart(owner.pid) !== owner.start) {
      if (owner) sweepNode(owner.dir);
      rmSync(LOCK, { force: true });
      continue;
    }
    if (owner.pid === process.pid) throw new Error(`this process runs a test node already (${owner.dir})`);
    if (Date.now() > deadline) {
      throw new Error(
        `another test node is up (pid ${owner.pid}: ${cmdline(owner.pid).join(" ")}; ${owner.dir}); only one fits a machine`,
      );
    }
    if (!told) {
      console.error(`[node] waiting for the test node of pid ${owner.pid} to stop (one node per machine)`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export function releaseNodeLock(dir: string): void {
  if (readLock()?.dir === dir) rmSync(LOCK, { force: true });
}

// ---------------------------------------------------------------- setting up

export function addNodeAddress(): void {
  if (!run("ip", ["-o", "addr", "show", "dev", "lo"]).includes(` ${NODE.ip}/`))
    run("ip", ["addr", "add", `${NODE.ip}/32`, "dev", "lo"]);
}

function cgroupMounts(): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" "))
    .filter((f) => f[2] === "cgroup" || f[2] === "cgroup2")
    .map((f) => f[1] ?? "");
}

/** The kubelet checks that its cgroupRoot exists in every hierarchy; cpuset children start empty. */
export function createCgroupRoot(): void {
  for (const mount of cgroupMounts()) {
    const dir = join(mount, NODE.cgroupRoot);
    mkdirSync(dir, { recursive: true });
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      if (existsSync(join(mount, file)) && readFileSync(join(dir, file), "utf8").trim() === "")
        writeFileSync(join(dir, file), readFileSync(join(mount, file)));
    }
  }
}

// ---------------------------------------------------------------- taking it all back

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

function pids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** Every process whose command line names a path in `dir`: etcd, kube-apiserver, the node's components, containerd and its shims. */
function processesOf(dir: string): number[] {
  return pids().filter((pid) => cmdline(pid).some((arg) => arg.includes(`${dir}/`)));
}

/** Every process in the pod cgroups: the containers, whatever their shim did. */
function podProcesses(): number[] {
  const found = new Set<number>();
  const walk = (path: string) => {
    let entries: string[];
    try {
      entries = readdirSync(path, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
      for (const pid of readFileSync(join(path, "cgroup.procs"), "utf8").split("\n").filter(Boolean))
        found.add(Number(pid));
    } catch {
      return;
    }
    for (const entry of entries) walk(join(path, entry));
  };
  for (const mount of cgroupMounts()) walk(join(mount, NODE.cgroupRoot));
  return [...found];
}

function kill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

function removeCgroups(): string[] {
  const left: string[] = [];
  const remove = (path: string) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(path, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const entry of entries) remove(join(path, entry));
    try {
      rmdirSync(path);
    } catch {
      left.push(path);
    }
  };
  for (const mount of cgroupMounts()) remove(join(mount, NODE.cgroupRoot));
  return left;
}

function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => (line.split(" ")[1] ?? "").replace(/\\040/g, " "))
    .filter((point) => point.startsWith(`${dir}/`));
}

/**
 * libcni caches results outside `dir`, named NETWORK-SANDBOXID-IFNAME: the pod network's
 * and containerd's loopback ("cni-loopback") for each pod sandbox containerd knows in `dir`.
 */
function cniResultsOf(dir: string): string[] {
  const ids = ["root", "state"].flatMap((part) =>
    safeReaddir(join(dir, "containerd", part, "io.containerd.grpc.v1.cri", "sandboxes")),
  );
  return safeReaddir(CNI_RESULTS).filter(
    (name) => name.startsWith(`${NODE.network}-`) || ids.some((id) => name.includes(`-${id}-`)),
  );
}

function shimSocket(address: string, namespace: string, id: string): string {
  // containerd 1.6 (runtime/v2/shim): sha256(filepath.Join(address, namespace, id)) under /run/containerd/s.
  return join(
    SHIM_SOCKETS,
    createHash("sha256")
      .update(join(address, namespace, id))
      .digest("hex"),
  );
}

/**
 * The iptables rules a node made: kube-proxy's and the kubelet's KUBE-* chains, and the
 * bridge plugin's per-pod masquerade chains (found by the network name in their comment;
 * podman's CNI chains look the same but carry its own network name). One
 * iptables-restore transaction per table deletes the jumps, flushes and deletes the chains.
 */
function sweepIptables(): void {
  for (const [save, restore] of [
    ["iptables-save", "iptables-restore"],
    ["ip6tables-save", "ip6tables-restore"],
  ] as const) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const script = iptablesSweepScript(tryRun(save, []) ?? "");
      if (script === "") break;
      if (tryRun(restore, ["--noflush"], script) !== undefined) break;
      sleepSync(200);
    }
  }
}

function iptablesSweepScript(dump: string): string {
  const out: string[] = [];
  let table = "";
  let chains: string[] = [];
  let rules: string[] = [];
  const ourComment = `name: \\"${NODE.network}\\"`;
  const flushTable = () => {
    const ours = new Set(chains.filter((c) => c.startsWith("KUBE-")));
    for (const rule of rules) {
      const target = / -[jg] (\S+)/.exec(rule)?.[1];
      if (target && rule.includes(ourComment) && target.startsWith("CNI-")) ours.add(target);
    }
    const deletes = rules.filter((rule) => {
      const chain = rule.split(" ")[1] ?? "";
      const target = / -[jg] (\S+)/.exec(rule)?.[1] ?? "";
      return !ours.has(chain) && (ours.has(target) || rule.includes(ourComment));
    });
    if (ours.size === 0 && deletes.length === 0) return;
    out.push(`*${table}`, ...deletes.map((rule) => `-D${rule.slice(2)}`));
    for (const chain of ours) out.push(`-F ${chain}`);
    for (const chain of ours) out.push(`-X ${chain}`);
    out.push("COMMIT");
  };
  for (const line of dump.split("\n")) {
    if (line.startsWith("*")) {
      table = line.slice(1);
      chains = [];
      rules = [];
    } else if (line.startsWith(":")) chains.push(line.slice(1).split(" ")[0] ?? "");
    else if (line.startsWith("-A ")) rules.push(line);
    else if (line === "COMMIT") flushTable();
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/**
 * Kills the pods' processes and containerd's shims (which outlive containerd, as containers
 * outlive their shims), until none is left; with `all`, every other process naming `dir`
 * too (etcd and kube-apiserver included). Shims' sockets in /run/containerd/s go with them.
 */
export function killNodeProcesses(dir: string, { all = false } = {}): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const shims = pids().flatMap((pid) => {
      const args = cmdline(pid);
      const address = args[args.indexOf("-address") + 1] ?? "";
      if (!args[0]?.includes("containerd-shim") || !address.startsWith(`${dir}/`)) return [];
      return [
        {
          pid,
          socket: shimSocket(address, args[args.indexOf("-namespace") + 1] ?? "", args[args.indexOf("-id") + 1] ?? ""),
        },
      ];
    });
    for (const { socket } of shims) rmSync(socket, { force: true });
    const victims = [...(all ? processesOf(dir) : shims.map((s) => s.pid)), ...podProcesses()];
    if (victims.length === 0 || Date.now() > deadline) break;
    for (const pid of victims) kill(pid);
    sleepSync(50);
  }
}

/**
 * Takes down everything a node started in `dir` and every host change it made: the
 * processes (containerd's shims outlive containerd; containers outlive their shims), the
 * mounts, the iptables rules, the bridge, the address on lo, the cgroups, the files
 * the kubelet and CNI keep outside `dir`, and `dir` itself unless `keepDir`.
 */
export function sweepNode(dir: string, { keepDir = false } = {}): void {
  killNodeProcesses(dir, { all: true });
  removeCgroups();
  // Deepest first: container root filesystems, the kubelet's tmpfs volumes, network namespaces.
  for (const point of mountsUnder(dir).sort((a, b) => b.length - a.length)) {
    tryRun("umount", [point]) ?? tryRun("umount", ["-l", point]);
  }
  sweepIptables();
  if (tryRun("ip", ["link", "show", NODE.bridge]) !== undefined) tryRun("ip", ["link", "del", NODE.bridge]);
  tryRun("ip", ["addr", "del", `${NODE.ip}/32`, "dev", "lo"]);
  for (const name of safeReaddir(CONTAINER_LOG_LINKS)) {
    const link = join(CONTAINER_LOG_LINKS, name);
    if (safeReadlink(link)?.startsWith(`${dir}/`)) rmSync(link, { force: true });
  }
  for (const name of cniResultsOf(dir)) rmSync(join(CNI_RESULTS, name), { force: true });
  for (const name of ["kubelet.sock", "kubelet_internal_checkpoint"])
    rmSync(join(DEVICE_PLUGINS, name), { force: true });
  // Empty directories only: another containerd or kubelet on the machine keeps its own.
  for (const path of [
    CONTAINER_LOG_LINKS,
    DEVICE_PLUGINS,
    "/var/lib/kubelet",
    SHIM_SOCKETS,
    "/run/containerd/fifo",
    "/run/containerd/runc/k8s.io",
    "/run/containerd/runc",
    "/run/containerd",
  ]) {
    try {
      rmdirSync(path);
    } catch {
      // Not empty or not there.
    }
  }
  if (!keepDir && existsSync(dir) && mountsUnder(dir).length === 0) {
    // --one-file-system: never follow a mount that survived into the host's files.
    tryRun("rm", ["-rf", "--one-file-system", dir]);
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** What a node left on the host, as readable lines; empty after a clean teardown. */
export function nodeLeftovers(dir: string): string[] {
  const found: string[] = [];
  for (const pid of processesOf(dir)) found.push(`process ${pid}: ${cmdline(pid).join(" ").slice(0, 200)}`);
  for (const pid of podProcesses()) found.push(`pod process ${pid}: ${cmdline(pid).join(" ").slice(0, 200)}`);
  for (const mount of cgroupMounts())
    if (existsSync(join(mount, NODE.cgroupRoot))) found.push(`cgroup ${join(mount, NODE.cgroupRoot)}`);
  for (const point of mountsUnder(dir)) found.push(`mount ${point}`);
  for (const save of ["iptables-save", "ip6tables-save"]) {
    const dump = tryRun(save, []) ?? "";
    for (const line of dump.split("\n")) {
      if (/^:KUBE-/.test(line) || line.includes(`name: \\"${NODE.network}\\"`)) found.push(`${save}: ${line}`);
    }
  }
  if (tryRun("ip", ["link", "show", NODE.bridge]) !== undefined) found.push(`link ${NODE.bridge}`);
  if ((tryRun("ip", ["-o", "addr", "show", "dev", "lo"]) ?? "").includes(` ${NODE.ip}/`))
    found.push(`address ${NODE.ip} on lo`);
  for (const name of safeReaddir(CONTAINER_LOG_LINKS)) {
    if (safeReadlink(join(CONTAINER_LOG_LINKS, name))?.startsWith(`${dir}/`)) found.push(`log link ${name}`);
  }
  // After the sweep `dir` is gone with the sandbox IDs: any containerd loopback result counts (podman makes none).
  for (const name of safeReaddir(CNI_RESULTS))
    if (name.startsWith(`${NODE.network}-`) || name.startsWith("cni-loopback-")) found.push(`CNI result ${name}`);
  for (const name of safeReaddir(DEVICE_PLUGINS)) found.push(`kubelet file ${join(DEVICE_PLUGINS, name)}`);
  for (const name of safeReaddir(SHIM_SOCKETS)) found.push(`shim socket ${join(SHIM_SOCKETS, name)}`);
  if (existsSync(dir)) found.push(`directory ${dir}`);
  if (readLock()?.dir === dir) found.push(`lock ${LOCK}`);
  return found;
}
