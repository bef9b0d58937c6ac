// A private redis-server (Debian's package) on a free loopback port with its own
// temporary directory. Nothing is shared with any other Redis on the machine. Also a
// Sentinel group and a Redis Cluster (startRedisSentinel, startRedisCluster), for the
// replicated topologies Tollgate supports.
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { freePort, type ManagedProcess, startProcess, waitFor } from "./processes.ts";

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops the server; its data is gone (no persistence), as after a crash of an unpersisted Redis. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

/** `args`: configuration before the harness's own (the chart's ACL users, say); port, bind and dir stay the harness's. */
export async function startRedis(options: { args?: string[] } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-redis-"));
  const port = await freePort();
  let server: ManagedProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const launch = async () => {
    server = startProcess(
      process.env.REDIS_SERVER ?? "redis-server",
      [
        ...(options.args ?? []),
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
      ],
      join(dir, "redis.log"),
    );
    await waitFor("redis-server to accept connections", async () => {
      if (server?.child.exitCode !== null) throw new Error(`redis-server exited; see ${join(dir, "redis.log")}`);
      const client = createClient({ url });
      client.on("error", () => {});
      try {
        await client.connect();
        return (await client.ping()) === "PONG";
      } finally {
        if (client.isOpen) await client.close();
      }
    });
  };
  await launch();
  return {
    url,
    port,
    dir,
    async stop() {
      await server?.stop();
    },
    async restart() {
      await server?.stop();
      await launch();
    },
  };
}

/** Removes a finished Redis's directory (logs are kept until then for failures). */
export async function removeRedisDir(redis: TestRedis): Promise<void> {
  await rm(redis.dir, { recursive: true, force: true });
}

/** A Redis with a replicated topology: what a test needs to reach it and to break it. */
export interface TestRedisTopology {
  mode: "sentinel" | "cluster";
  /** The URL Tollgate takes (redis+sentinel://…/mymaster or redis+cluster://…). */
  url: string;
  dir: string;
  /** Kills the primary (of the slot of `key` on a cluster) with SIGKILL; resolves once a replica has taken over. */
  killPrimary(key?: string): Promise<{ killedPort: number; promotedPort: number; failoverMs: number }>;
  /** A plain client to the current primary (of the slot of `key` on a cluster), for a test's own reads. */
  primaryUrl(key?: string): Promise<string>;
  stop(): Promise<void>;
}

const SERVER = () => process.env.REDIS_SERVER ?? "redis-server";

interface Node {
  port: number;
  dir: string;
  process: ManagedProcess;
}

async function startNode(root: string, name: string, args: string[], port?: number): Promise<Node> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const chosen = port ?? (await freePort());
  const process = startProcess(
    SERVER(),
    ["--bind", "127.0.0.1", "--port", String(chosen), "--dir", dir, "--save", "", "--appendonly", "no", ...args],
    join(dir, "redis.log"),
  );
  await waitFor(`${name} to accept connections`, async () => {
    if (process.child.exitCode !== null) throw new Error(`${name} exited; see ${join(dir, "redis.log")}`);
    return (await command(chosen, ["PING"])) === "PONG";
  });
  return { port: chosen, dir, process };
}

/** Resolves once every replica among `nodes` has finished its first sync: before that none can be promoted. */
async function replicasSynced(nodes: Node[]): Promise<void> {
  await waitFor(
    "every replica to finish its first sync",
    async () => {
      for (const node of nodes) {
        const info = String(await command(node.port, ["INFO", "replication"]));
        if (info.includes("role:slave") && !info.includes("master_link_status:up")) return false;
      }
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** One command on a short-lived plain connection (no cluster redirection). */
async function command(port: number, args: string[]): Promise<unknown> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
    return await client.sendCommand(args);
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/**
 * A Sentinel group on loopback: one primary, two replicas, three sentinels (quorum 2),
 * from Debian's redis-server and redis-sentinel. Failure detection after
 * `downAfterMs` (production's default is 30 s; tests use 1 s).
 */
export async function startRedisSentinel(options: { downAfterMs?: number } = {}): Promise<TestRedisTopology> {
  const root = await mkdtemp(join(tmpdir(), "tollgate-sentinel-"));
  const primary = await startNode(root, "node-0", []);
  const nodes: Node[] = [primary];
  for (const i of [1, 2])
    nodes.push(await startNode(root, `node-${i}`, ["--replicaof", "127.0.0.1", String(primary.port)]));
  const sentinels: Node[] = [];
  for (const i of [0, 1, 2]) {
    const dir = join(root, `sentinel-${i}`);
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    const conf = join(dir, "sentinel.conf");
    await writeFile(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds mymaster ${options.downAfterMs ?? 1000}`,
        "sentinel failover-timeout mymaster 10000",
        "sentinel parallel-syncs mymaster 2",
        "",
      ].join("\n"),
    );
    const sentinelBinary = process.env.REDIS_SENTINEL ?? "redis-sentinel";
    const proc = startProcess(sentinelBinary, [conf], join(dir, "sentinel.log"));
    sentinels.push({ port, dir, process: proc });
  }
  const masterInfo = async (port: number) => {
    // A map in RESP3 (node-redis's default), a flat list of pairs in RESP2.
    const reply = (await command(port, ["SENTINEL", "MASTER", "mymaster"])) as string[] | Record<string, string>;
    if (!Array.isArray(reply)) return new Map(Object.entries(reply));
    const info = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) info.set(reply[i] as string, reply[i + 1] as string);
    return info;
  };
  await waitFor(
    "the sentinels to see two replicas and each other",
    async () => {
      for (const sentinel of sentinels) {
        const info = await masterInfo(sentinel.port);
        if (info.get("num-slaves") !== "2" || info.get("num-other-sentinels") !== "2") return false;
      }
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  await replicasSynced(nodes);
  const currentPrimaryPort = async () => {
    const [, port] = (await command((sentinels[0] as Node).port, [
      "SENTINEL",
      "GET-MASTER-ADDR-BY-NAME",
      "mymaster",
    ])) as [string, string];
    return Number(port);
  };
  return {
    mode: "sentinel",
    url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/mymaster`,
    dir: root,
    async primaryUrl() {
      return `redis://127.0.0.1:${await currentPrimaryPort()}`;
    },
    async killPrimary() {
      const killedPort = await currentPrimaryPort();
      const victim = nodes.find((node) => node.port === killedPort) as Node;
      const started = Date.now();
      await victim.process.kill();
      const promotedPort = await waitFor(
        "the sentinels to promote a replica",
        async () => {
          const port = await currentPrimaryPort();
          if (port === killedPort) return undefined;
          return (await command(port, ["ROLE"]).then((role) => (role as string[])[0])) === "master" ? port : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      return { killedPort, promotedPort, failoverMs: Date.now() - started };
    },
    async stop() {
      for (const node of [...sentinels, ...nodes]) await node.process.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * A Redis Cluster on loopback: three primaries with one replica each, made with
 * `redis-cli --cluster create`. A primary is failed over `nodeTimeoutMs` after it stops
 * answering (production's default is 15 s; tests use 1 s).
 */
export async function startRedisCluster(options: { nodeTimeoutMs?: number } = {}): Promise<TestRedisTopology> {
  const root = await mkdtemp(join(tmpdir(), "tollgate-cluster-"));
  const nodes: Node[] = [];
  for (let i = 0; i < 6; i++) {
    const busPort = await freePort();
    nodes.push(
      await startNode(root, `node-${i}`, [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        String(options.nodeTimeoutMs ?? 1000),
        "--cluster-port",
        String(busPort),
      ]),
    );
  }
  const created = spawnSync(
    process.env.REDIS_CLI ?? "redis-cli",
    ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  const clusterOk = async (port: number) =>
    String(await command(port, ["CLUSTER", "INFO"])).includes("cluster_state:ok");
  await waitFor(
    "every cluster node to report cluster_state:ok",
    async () => (await Promise.all(nodes.map((n) => clusterOk(n.port)))).every(Boolean),
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  await replicasSynced(nodes);
  const alive = () => nodes.filter((n) => n.process.child.exitCode === null && n.process.child.signalCode === null);
  /** The primary that owns `key`'s slot, as a live node sees it. */
  const primaryOf = async (key: string): Promise<number> => {
    const slot = Number(await command((alive()[0] as Node).port, ["CLUSTER", "KEYSLOT", key]));
    for (const node of alive()) {
      const shards = (await command(node.port, ["CLUSTER", "SLOTS"])) as [number, number, [string, number, string]][];
      for (const [from, to, [, port]] of shards) if (slot >= from && slot <= to) return Number(port);
    }
    throw new Error(`no node owns slot ${slot}`);
  };
  return {
    mode: "cluster",
    url: `redis+cluster://${nodes
      .slice(0, 3)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(",")}`,
    dir: root,
    async primaryUrl(key = "") {
      return `redis://127.0.0.1:${await primaryOf(key)}`;
    },
    async killPrimary(key = "") {
      const killedPort = await primaryOf(key);
      const victim = nodes.find((node) => node.port === killedPort) as Node;
      const started = Date.now();
      await victim.process.kill();
      const promotedPort = await waitFor(
        "a replica to take over the killed primary's slots",
        async () => {
          const port = await primaryOf(key);
          if (port === killedPort) return undefined;
          return (await clusterOk(port)) ? port : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50 },
      );
      return { killedPort, promotedPort, failoverMs: Date.now() - started };
    },
    async stop() {
      for (const node of nodes) await node.process.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Every topology a state test runs against: the single server and the two replicated ones. */
export const TOPOLOGIES = ["standalone", "sentinel", "cluster"] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** Starts `topology`; `url` is what Tollgate's --redis-url takes, `stop` ends it and removes its files. */
export async function startTopology(
  topology: Topology,
): Promise<{ url: string; stop(): Promise<void>; replicated?: TestRedisTopology }> {
  if (topology === "sentinel") {
    const replicated = await startRedisSentinel();
    return { url: replicated.url, stop: () => replicated.stop(), replicated };
  }
  if (topology === "cluster") {
    const replicated = await startRedisCluster();
    return { url: replicated.url, stop: () => replicated.stop(), replicated };
  }
  const redis = await startRedis();
  return {
    url: redis.url,
    async stop() {
      await redis.stop();
      await removeRedisDir(redis);
    },
  };
}
