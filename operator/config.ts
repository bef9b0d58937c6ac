// The operator's one configuration loader. Every setting is a flag and an environment
// variable (TOLLGATE_ plus the flag in upper snake case: --redis-url is
// TOLLGATE_REDIS_URL); a flag wins over the environment. Defaults are documented here
// and nowhere else: `node operator/main.ts --help` prints this table.
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { LogLevel } from "../common/logger.ts";
import { DEFAULT_KEY_PREFIX, type RedisMode, type RedisSettings, redisSettings } from "../common/redis-connection.ts";
import { parseDuration } from "../registry/duration.ts";

export interface OperatorConfig {
  /** Path to a kubeconfig; unset: $KUBECONFIG, ~/.kube/config or the in-cluster service account. */
  kubeconfig?: string;
  /** Namespaces to watch; empty: all namespaces. */
  namespaces: string[];
  redisUrl: string;
  /** Unset: from the URL's scheme (common/redis-connection.ts). */
  redisMode?: RedisMode;
  /** PEM CA bundle of a rediss:// server; unset: the system CAs. */
  redisCaFile?: string;
  /** Prefix of every Redis key and channel; unset: "tollgate:". */
  redisKeyPrefix?: string;
  /** Token issuer URL, written to status and to each client's Secret; token endpoint = issuer + /oauth2/token. */
  issuer: string;
  /** Reconciles running at once. */
  concurrency: number;
  /** Every object is reconciled at least this often, repairing drift no event announced. */
  resyncPeriodMs: number;
  /** How often the registry's `initialised` marker is checked: the time to notice that Redis lost the registry. */
  registryCheckPeriodMs: number;
  /** A watch silent this long (no event, no bookmark) is reopened. */
  watchStallTimeoutMs: number;
  leaderElection: boolean;
  leaseName: string;
  leaseNamespace: string;
  /** A follower takes over this long after the leader's last renewal. */
  leaseDurationMs: number;
  /** The leader gives up (stops writing) if it cannot renew for this long; less than leaseDuration. */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** This replica's name in the Lease and in Events. */
  identity: string;
  /** Host and port of /healthz, /readyz and /metrics; port 0 picks a free one. */
  metricsHost: string;
  metricsPort: number;
  /** The token server's signing keys Secret (managed by the operator); empty name disables it. */
  signingKeysSecret: string;
  signingKeysNamespace: string;
  signingKeyAlgorithm: string;
  signingKeyRotationMs: number;
  /** The registry record keys Secret (managed by the operator, in the signing keys' namespace); records are MAC'd with it. */
  registryKeysSecret: string;
  registryKeyRotationMs: number;
  logLevel: LogLevel;
  /** On SIGTERM: finish reconciles, release the Lease and close within this, then exit regardless. */
  shutdownTimeoutMs: number;
  /** A client_credentials client's subject must lie in its own namespace (operator/policy/decide.ts). */
  subjectConfinement: boolean;
}

interface Option {
  flag: string;
  default: string;
  help: string;
}

const OPTIONS: Option[] = [
  { flag: "kubeconfig", default: "", help: "kubeconfig path (default: $KUBECONFIG, ~/.kube/config, in-cluster)" },
  { flag: "namespaces", default: "", help: "comma-separated namespaces to watch (default: all)" },
  {
    flag: "redis-url",
    default: "redis://127.0.0.1:6379",
    help: "registry Redis: redis[s]://, redis[s]+sentinel://h:p,…/master or redis[s]+cluster://h:p,…",
  },
  { flag: "redis-mode", default: "", help: "standalone, sentinel or cluster (default: the URL's scheme)" },
  { flag: "redis-ca-file", default: "", help: "PEM CA bundle of a rediss:// server (default: system CAs)" },
  { flag: "redis-key-prefix", default: DEFAULT_KEY_PREFIX, help: "prefix of every Redis key and channel" },
  { flag: "issuer", default: "http://localhost:8080", help: "token issuer URL" },
  { flag: "concurrency", default: "4", help: "concurrent reconciles" },
  { flag: "resync-period", default: "10m", help: "full resync period (drift repair)" },
  { flag: "registry-check-period", default: "2s", help: "how often to check that Redis still holds the registry" },
  { flag: "watch-stall-timeout", default: "90s", help: "reopen a watch silent this long" },
  { flag: "leader-elect", default: "true", help: "leader election on a Lease (true/false)" },
  { flag: "lease-name", default: "tollgate-operator", help: "Lease name" },
  { flag: "lease-namespace", default: "", help: "Lease namespace (default: $POD_NAMESPACE or default)" },
  { flag: "lease-duration", default: "15s", help: "Lease duration" },
  { flag: "renew-deadline", default: "10s", help: "leader gives up after failing to renew this long" },
  { flag: "retry-period", default: "2s", help: "Lease acquire/renew interval" },
  { flag: "identity", default: "", help: "replica identity (default: hostname_pid)" },
  { flag: "metrics-host", default: "0.0.0.0", help: "bind address of /healthz, /readyz, /metrics" },
  { flag: "metrics-port", default: "8081", help: "port of /healthz, /readyz, /metrics (0: any free)" },
  { flag: "signing-keys-secret", default: "tollgate-signing-keys", help: "signing keys Secret (empty: off)" },
  { flag: "signing-keys-namespace", default: "", help: "signing keys namespace (default: lease namespace)" },
  { flag: "signing-key-algorithm", default: "ES256", help: "algorithm of new signing keys" },
  { flag: "signing-key-rotation", default: "720h", help: "signing key rotation period" },
  { flag: "registry-keys-secret", default: "tollgate-registry-keys", help: "registry record keys Secret" },
  { flag: "registry-key-rotation", default: "720h", help: "registry record key rotation period" },
  { flag: "log-level", default: "info", help: "debug, info, warn or error" },
  { flag: "shutdown-timeout", default: "25s", help: "on SIGTERM, stop within this, then exit regardless" },
  { flag: "subject-confinement", default: "true", help: "confine client subjects to their namespace (true/false)" },
];

export function usage(): string {
  const rows = OPTIONS.map((o) => `  --${o.flag.padEnd(24)} ${envName(o.flag).padEnd(34)} ${o.help} [${o.default}]`);
  return `Usage: node operator/main.ts [flags]\n\n  flag                       environment\n${rows.join("\n")}\n`;
}

function envName(flag: string): string {
  return `TOLLGATE_${flag.toUpperCase().replaceAll("-", "_")}`;
}

export function loadConfig(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): OperatorConfig {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: "string" as const }])),
    strict: true,
    allowPositionals: false,
  });
  const raw = (flag: string): string => {
    const fromFlag = values[flag];
    if (typeof fromFlag === "string") return fromFlag;
    return env[envName(flag)] ?? OPTIONS.find((o) => o.flag === flag)?.default ?? "";
  };
  const ms = (flag: string) => {
    try {
      return Math.round(parseDuration(raw(flag)) * 1000);
    } catch (error) {
      throw new Error(`--${flag}: ${(error as Error).message}`);
    }
  };
  const int = (flag: string) => {
    const n = Number(raw(flag));
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag}: "${raw(flag)}" is not a non-negative integer`);
    return n;
  };
  const bool = (flag: string) => {
    const v = raw(flag).toLowerCase();
    if (v !== "true" && v !== "false") throw new Error(`--${flag}: expected true or false, got "${raw(flag)}"`);
    return v === "true";
  };
  const leaseNamespace = raw("lease-namespace") || env.POD_NAMESPACE || "default";
  const logLevel = raw("log-level") as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(logLevel))
    throw new Error(`--log-level: "${logLevel}" is not a level`);
  const config: OperatorConfig = {
    namespaces: raw("namespaces")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    redisUrl: raw("redis-url"),
    ...redisFields(
      redisSettings({
        url: raw("redis-url"),
        mode: raw("redis-mode"),
        caFile: raw("redis-ca-file"),
        keyPrefix: raw("redis-key-prefix"),
      }),
    ),
    issuer: raw("issuer").replace(/\/+$/, ""),
    concurrency: Math.max(1, int("concurrency")),
    resyncPeriodMs: ms("resync-period"),
    registryCheckPeriodMs: ms("registry-check-period"),
    watchStallTimeoutMs: ms("watch-stall-timeout"),
    leaderElection: bool("leader-elect"),
    leaseName: raw("lease-name"),
    leaseNamespace,
    leaseDurationMs: ms("lease-duration"),
    renewDeadlineMs: ms("renew-deadline"),
    retryPeriodMs: ms("retry-period"),
    identity: raw("identity") || `${hostname()}_${process.pid}`,
    metricsHost: raw("metrics-host"),
    metricsPort: int("metrics-port"),
    signingKeysSecret: raw("signing-keys-secret"),
    signingKeysNamespace: raw("signing-keys-namespace") || leaseNamespace,
    signingKeyAlgorithm: raw("signing-key-algorithm"),
    signingKeyRotationMs: ms("signing-key-rotation"),
    registryKeysSecret: raw("registry-keys-secret"),
    registryKeyRotationMs: ms("registry-key-rotation"),
    logLevel,
    shutdownTimeoutMs: ms("shutdown-timeout"),
    subjectConfinement: bool("subject-confinement"),
  };
  if (raw("kubeconfig")) config.kubeconfig = raw("kubeconfig");
  if (!config.registryKeysSecret)
    throw new Error("--registry-keys-secret must name a Secret: records are never written unsigned");
  if (config.renewDeadlineMs >= config.leaseDurationMs)
    throw new Error("--renew-deadline must be shorter than --lease-duration");
  try {
    new URL(config.issuer);
  } catch {
    throw new Error(`--issuer: "${config.issuer}" is not a URL`);
  }
  return config;
}

/** The defaults, with overrides: for tests and the benchmark, which start the operator in-process. */
export function configWith(overrides: Partial<OperatorConfig>): OperatorConfig {
  return { ...loadConfig([], {}), ...overrides };
}

export function tokenEndpointOf(issuer: string): string {
  return `${issuer}/oauth2/token`;
}

/** The checked Redis settings as the config's optional fields. */
function redisFields(settings: RedisSettings): Pick<OperatorConfig, "redisMode" | "redisCaFile" | "redisKeyPrefix"> {
  return {
    ...(settings.mode ? { redisMode: settings.mode } : {}),
    ...(settings.caFile ? { redisCaFile: settings.caFile } : {}),
    ...(settings.keyPrefix ? { redisKeyPrefix: settings.keyPrefix } : {}),
  };
}
