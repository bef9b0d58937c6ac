// "Connect to Redis per configuration", for the operator and the token server alike: one
// standalone server (createClient), a Sentinel-managed primary (createSentinel) or a Redis
// Cluster (createCluster), from one URL. The rest of the code sees RedisConnection: the
// commands it uses, whether it is ready, and a change-feed subscription that works on
// each topology (SSUBSCRIBE on a cluster, so a notification goes to the one shard that
// owns the channel's slot instead of every node over the cluster bus).
//
// URLs (credentials URL-encoded, as node-redis takes them):
//   redis[s]://[user[:password]@]host:port[/db]                      standalone
//   redis[s]+sentinel://[user[:password]@]host:port[,host:port…]/master   sentinels; the credentials are the data nodes'
//   redis[s]+cluster://[user[:password]@]host:port[,host:port…]          seed nodes; the topology is discovered
// `mode` (TOLLGATE_REDIS_MODE) overrides the scheme's suffix, for tools that only accept redis://.
import { readFileSync } from "node:fs";
import { createClient, createCluster, createSentinel, type RedisClientType } from "redis";

export const REDIS_MODES = ["standalone", "sentinel", "cluster"] as const;
export type RedisMode = (typeof REDIS_MODES)[number];

/** Every key Tollgate writes starts with this unless configured otherwise (two installations on one Redis use two). */
export const DEFAULT_KEY_PREFIX = "tollgate:";

export interface RedisSettings {
  url: string;
  /** Unset: from the URL's scheme (redis+sentinel://, redis+cluster://), else standalone. */
  mode?: RedisMode | undefined;
  /** PEM CA bundle that signed the servers' certificates (rediss://); unset: the system CAs. */
  caFile?: string | undefined;
  /** Prefix of every key and channel; default DEFAULT_KEY_PREFIX. */
  keyPrefix?: string | undefined;
}

export interface ConnectOptions {
  /** Commands fail at once while disconnected instead of waiting in node-redis's offline queue. */
  failFast?: boolean;
  /** Longest pause between reconnection attempts; default 2000 ms. */
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
}

/**
 * The commands Tollgate uses. Typed as a standalone client's: node-redis gives the cluster
 * and the sentinel client the same command signatures (a cluster routes each by its first
 * key, so a MULTI or script must keep its keys in one slot: the key builders use hash tags).
 */
export type RedisCommands = Pick<
  RedisClientType,
  "get" | "set" | "exists" | "del" | "eval" | "multi" | "hGet" | "hGetAll" | "zRangeByScoreWithScores"
>;

export interface RedisConnection {
  readonly mode: RedisMode;
  readonly keyPrefix: string;
  /** The publish command that reaches subscribe()'s listeners: SPUBLISH on a cluster, PUBLISH otherwise. */
  readonly publishCommand: "PUBLISH" | "SPUBLISH";
  readonly commands: RedisCommands;
  readonly isReady: boolean;
  readonly isOpen: boolean;
  connect(): Promise<void>;
  onError(listener: (error: Error) => void): void;
  /** Listens on a channel (on a connection of its own, made on first use); resolves to an unsubscribe. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  /** Graceful when connected, at once otherwise. */
  close(): Promise<void>;
}

interface ParsedUrl {
  mode: RedisMode;
  tls: boolean;
  username?: string;
  password?: string;
  nodes: { host: string; port: number }[];
  /** Standalone: the database number; sentinel: the master group's name. */
  path: string;
}

const URL_PATTERN = /^(rediss?)(?:\+(sentinel|cluster))?:\/\/(?:(.*)@)?([^/@?#]+)(?:\/([^?#]*))?$/;

/** Parses a Redis URL of any topology; throws with the reason on a malformed one. */
export function parseRedisUrl(url: string, mode?: RedisMode): ParsedUrl {
  const match = URL_PATTERN.exec(url);
  if (!match)
    throw new Error(
      `Redis URL "${redact(url)}" is not redis[s][+sentinel|+cluster]://[user[:password]@]host:port[,…][/path]`,
    );
  const scheme = match[1] as string;
  const suffix = match[2];
  const credentials = match[3];
  const hosts = match[4] as string;
  const path = match[5];
  const nodes = hosts.split(",").map((entry) => {
    // host:port, [IPv6]:port, or either without a port (6379).
    const hostPort = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(entry);
    const host = hostPort?.[1] ?? hostPort?.[2];
    const port = hostPort?.[3] === undefined ? 6379 : Number(hostPort[3]);
    if (!host || port <= 0 || port > 65535) throw new Error(`Redis URL "${redact(url)}": "${entry}" is not host:port`);
    return { host, port };
  });
  const resolved = mode ?? (suffix as RedisMode | undefined) ?? "standalone";
  if (resolved === "standalone" && nodes.length > 1)
    throw new Error(`Redis URL "${redact(url)}" lists several hosts: set the mode to sentinel or cluster`);
  const parsed: ParsedUrl = { mode: resolved, tls: scheme === "rediss", nodes, path: path ?? "" };
  if (credentials !== undefined) {
    const colon = credentials.indexOf(":");
    const user = decodeURIComponent(colon < 0 ? credentials : credentials.slice(0, colon));
    if (user) parsed.username = user;
    if (colon >= 0) parsed.password = decodeURIComponent(credentials.slice(colon + 1));
  }
  return parsed;
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

/** Creates the connection; nothing is opened until connect(). */
export function redisConnection(settings: RedisSettings, options: ConnectOptions = {}): RedisConnection {
  const url = parseRedisUrl(settings.url, settings.mode);
  const ca = settings.caFile ? readFileSync(settings.caFile, "utf8") : undefined;
  const maxMs = options.reconnectMaxMs ?? 2000;
  const socket = {
    connectTimeout: options.connectTimeoutMs ?? 2000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, maxMs),
    ...(url.tls ? { tls: true as const, ...(ca ? { ca } : {}) } : {}),
  };
  const auth = {
    ...(url.username ? { username: url.username } : {}),
    ...(url.password ? { password: url.password } : {}),
  };
  const nodeOptions = { ...auth, socket, disableOfflineQueue: options.failFast ?? false };
  const keyPrefix = settings.keyPrefix ?? DEFAULT_KEY_PREFIX;
  switch (url.mode) {
    case "standalone": {
      const database = url.path ? Number(url.path) : 0;
      if (!Number.isInteger(database))
        throw new Error(`Redis URL "${redact(settings.url)}": "/${url.path}" is not a database number`);
      const node = url.nodes[0] as { host: string; port: number };
      const client = createClient({
        ...nodeOptions,
        socket: { ...socket, host: node.host, port: node.port },
        database,
      });
      return standalone(client as RedisClientType, keyPrefix);
    }
    case "sentinel": {
      // Sentinels are asked for the primary's address only; the data nodes get the credentials.
      const sentinel = createSentinel({
        name: url.path || "mymaster",
        sentinelRootNodes: url.nodes,
        nodeClientOptions: nodeOptions,
        sentinelClientOptions: { socket },
        // Enough for Tollgate's request concurrency; commands queue on the pool while a failover is in progress.
        masterPoolSize: 4,
        // How often the sentinels are asked for the primary: after a failover, requests that need
        // token state fail until the next scan (measured: 2 s of scan added up to 2 s of 503s).
        scanInterval: 1000,
      });
      return topology(
        "sentinel",
        sentinel,
        keyPrefix,
        (channel, listener) => sentinel.subscribe<false>(channel, listener),
        (channel, listener) => sentinel.unsubscribe(channel, listener as (message: string | Buffer) => void),
      );
    }
    case "cluster": {
      const cluster = createCluster({
        rootNodes: url.nodes.map((node) => ({ socket: { ...socket, host: node.host, port: node.port } })),
        defaults: nodeOptions,
        // Writes and reads go to primaries: a replica may not have the last write yet (a code taken twice).
        useReplicas: false,
        // Re-read the slots 1 s after a node starts reconnecting (node-redis waits 5 s by default):
        // a killed primary's slots move to its replica 1–3 s after the kill, and until the client
        // re-reads them every command for those slots fails (measured: 5.5 s of 503s with 5 s).
        topologyRefreshOnReconnectionAttemptStrategy: 1000,
      });
      return topology(
        "cluster",
        cluster,
        keyPrefix,
        (channel, listener) => cluster.sSubscribe<false>(channel, listener),
        (channel, listener) => cluster.sUnsubscribe<false>(channel, listener),
      );
    }
  }
}

/** Wraps a client someone else created (the tests' raw clients): standalone. */
export function standaloneConnection(client: RedisClientType, keyPrefix = DEFAULT_KEY_PREFIX): RedisConnection {
  return standalone(client, keyPrefix);
}

function standalone(client: RedisClientType, keyPrefix: string): RedisConnection {
  // A standalone client cannot subscribe on the connection that runs commands: a second one,
  // made on first use, listens.
  let subscriber: RedisClientType | undefined;
  const subscribed = async () => {
    subscriber ??= client.duplicate();
    // node-redis reconnects by itself; without a listener an error event would crash the process.
    subscriber.on("error", () => {});
    if (!subscriber.isOpen) await subscriber.connect();
    return subscriber;
  };
  return topology(
    "standalone",
    client,
    keyPrefix,
    async (channel, listener) => (await subscribed()).subscribe(channel, listener),
    async (channel, listener) => (await subscribed()).unsubscribe(channel, listener),
    async () => {
      if (subscriber?.isOpen) await subscriber.close();
    },
  );
}

interface Topology {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  close(): Promise<void>;
  destroy(): unknown;
}

function topology(
  mode: RedisMode,
  client: Topology,
  keyPrefix: string,
  subscribe: (channel: string, listener: (message: string) => void) => Promise<unknown>,
  unsubscribe: (channel: string, listener: (message: string) => void) => Promise<unknown>,
  closeSubscriber: () => Promise<void> = async () => {},
): RedisConnection {
  return {
    mode,
    keyPrefix,
    publishCommand: mode === "cluster" ? "SPUBLISH" : "PUBLISH",
    // Sentinel and cluster clients: the same command signatures as a standalone client's (RedisCommands says why).
    commands: client as unknown as RedisCommands,
    get isReady() {
      return client.isReady;
    },
    get isOpen() {
      return client.isOpen;
    },
    async connect() {
      await client.connect();
    },
    onError(listener) {
      client.on("error", listener);
    },
    // Sentinel and cluster clients keep their subscriptions across a failover: the sentinel
    // client moves its pub/sub connection to the new primary, the cluster client re-subscribes
    // where the slot went.
    async subscribe(channel, listener) {
      await subscribe(channel, listener);
      return async () => {
        await unsubscribe(channel, listener);
      };
    },
    async close() {
      await closeSubscriber();
      if (client.isReady) await client.close();
      else if (client.isOpen) await client.destroy();
    },
  };
}

/**
 * The settings from the configuration's text (both components' loaders): "" is unset.
 * Throws at start on a mode, URL or prefix that cannot work, rather than on first use.
 */
export function redisSettings(text: {
  url: string;
  mode?: string;
  caFile?: string;
  keyPrefix?: string;
}): RedisSettings {
  const mode = text.mode || undefined;
  if (mode !== undefined && !(REDIS_MODES as readonly string[]).includes(mode))
    throw new Error(`--redis-mode: "${mode}" is not one of ${REDIS_MODES.join(", ")}`);
  const keyPrefix = text.keyPrefix || DEFAULT_KEY_PREFIX;
  // A brace would start a hash tag of its own and split the keys that must share a slot.
  if (/[{}\s]/.test(keyPrefix)) throw new Error(`--redis-key-prefix: "${keyPrefix}" must not contain braces or spaces`);
  const settings: RedisSettings = { url: text.url, keyPrefix };
  if (mode) settings.mode = mode as RedisMode;
  if (text.caFile) settings.caFile = text.caFile;
  parseRedisUrl(settings.url, settings.mode);
  return settings;
}
