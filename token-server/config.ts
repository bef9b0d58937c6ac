// The token server's one configuration loader: command-line flags, then TOLLGATE_*
// environment variables, then the defaults in OPTIONS, the one table `--help` prints
// (as the operator's config.ts does). Durations take the operator's syntax ("30s",
// "10m", "1h30m"); a bare number is seconds, as it always was.
import { parseArgs } from "node:util";
import { type LogLevel, parseLogLevel } from "../common/logger.ts";
import { DEFAULT_KEY_PREFIX, type RedisSettings, redisSettings } from "../common/redis-connection.ts";
import { parseDuration } from "../registry/duration.ts";
import {
  DEFAULT_SIGNING_ALGORITHM,
  isSigningAlgorithm,
  type SigningAlgorithm,
} from "../registry/signing-key-format.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./middleware/parse-form.ts";
import { TrustedProxies } from "./source-address.ts";

export interface Config {
  standalone: boolean;
  host: string;
  port: number;
  /** /healthz, /readyz and /metrics listen here, never on the public port. */
  managementHost: string;
  managementPort: number;
  /** Distinct client IDs the per-client request series keep at most (metrics.ts). */
  metricsClientLimit: number;
  /** Undefined: derived from host and the bound port. */
  issuer: string | undefined;
  /** Both or neither: the public port serves https with this pair (tls.ts). */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  redisUrl: string;
  /** The Redis topology, TLS CA and key prefix with the URL (common/redis-connection.ts). */
  redis: RedisSettings;
  signingKeysDir: string | undefined;
  /** Mounted registry record keys Secret: records that do not verify under them are refused. */
  registryKeysDir: string | undefined;
  signingAlg: SigningAlgorithm;
  manifestsDir: string;
  logLevel: LogLevel;
  resyncIntervalSeconds: number;
  keysPollIntervalSeconds: number;
  maxBodyBytes: number;
  authFailureLimit: number;
  authFailureWindowSeconds: number;
  usersFile: string | undefined;
  registrationEndpoint: string | undefined;
  trustedProxies: string[];
  shutdownTimeoutSeconds: number;
  /** The cluster's service-account issuer: set, workload_identity clients authenticate with its tokens. */
  serviceAccountIssuer: string | undefined;
  serviceAccountAudience: string | undefined;
  serviceAccountCaFile: string | undefined;
  serviceAccountTokenFile: string | undefined;
}

interface Option {
  flag: string;
  env: string;
  /** Undefined: none, or derived (the help says from what). */
  default?: string;
  help: string;
  boolean?: true;
}

const OPTIONS = [
  {
    flag: "standalone",
    env: "TOLLGATE_STANDALONE",
    boolean: true,
    help: "in-memory registry and token state, manifests from --manifests (default: Redis)",
  },
  { flag: "host", env: "TOLLGATE_HOST", help: "listen address [127.0.0.1 standalone, 0.0.0.0 otherwise]" },
  { flag: "port", env: "TOLLGATE_PORT", default: "8080", help: "listen port (0 picks a free port)" },
  {
    flag: "management-host",
    env: "TOLLGATE_MANAGEMENT_HOST",
    help: "listen address of /healthz, /readyz, /metrics [as --host]",
  },
  {
    flag: "management-port",
    env: "TOLLGATE_MANAGEMENT_PORT",
    default: "9090",
    help: "port of /healthz, /readyz, /metrics: keep it off the Service and Ingress (0 picks a free port)",
  },
  {
    flag: "metrics-client-limit",
    env: "TOLLGATE_METRICS_CLIENT_LIMIT",
    default: "500",
    help: 'registered client IDs with their own request series; the rest count as client_id="other"',
  },
  {
    flag: "issuer",
    env: "TOLLGATE_ISSUER",
    help: "issuer URL [http(s)://<host>:<port>, 127.0.0.1 for 0.0.0.0]",
  },
  {
    flag: "tls-cert-file",
    env: "TOLLGATE_TLS_CERT_FILE",
    help: "PEM certificate chain: serve the public port over https (reloaded on change) [http]",
  },
  { flag: "tls-key-file", env: "TOLLGATE_TLS_KEY_FILE", help: "PEM private key of --tls-cert-file" },
  {
    flag: "redis-url",
    env: "TOLLGATE_REDIS_URL",
    default: "redis://127.0.0.1:6379",
    help: "registry and token state Redis: redis[s]://, redis[s]+sentinel://h:p,…/master or redis[s]+cluster://h:p,…",
  },
  {
    flag: "redis-mode",
    env: "TOLLGATE_REDIS_MODE",
    help: "standalone, sentinel or cluster [from the URL's scheme]",
  },
  { flag: "redis-ca-file", env: "TOLLGATE_REDIS_CA_FILE", help: "PEM CA bundle of a rediss:// server [system CAs]" },
  {
    flag: "redis-key-prefix",
    env: "TOLLGATE_REDIS_KEY_PREFIX",
    default: DEFAULT_KEY_PREFIX,
    help: "prefix of every Redis key and channel (two installations sharing a Redis use two)",
  },
  {
    flag: "signing-keys-dir",
    env: "TOLLGATE_SIGNING_KEYS_DIR",
    help: "mounted signing-key Secret [required unless --standalone]",
  },
  {
    flag: "registry-keys-dir",
    env: "TOLLGATE_REGISTRY_KEYS_DIR",
    help: "mounted registry record keys Secret [required unless --standalone]",
  },
  {
    flag: "signing-alg",
    env: "TOLLGATE_SIGNING_ALG",
    default: DEFAULT_SIGNING_ALGORITHM,
    help: "standalone's generated key: ES256, EdDSA, RS256 or PS256",
  },
  {
    flag: "manifests",
    env: "TOLLGATE_MANIFESTS_DIR",
    default: "examples",
    help: "OAuthClient YAML files (standalone)",
  },
  { flag: "log-level", env: "TOLLGATE_LOG_LEVEL", default: "info", help: "debug, info, warn or error" },
  {
    flag: "resync-interval",
    env: "TOLLGATE_RESYNC_INTERVAL",
    default: "30s",
    help: "registry revision check; full resync on change and every 10th",
  },
  { flag: "keys-poll-interval", env: "TOLLGATE_KEYS_POLL_INTERVAL", default: "5s", help: "signing-key directory poll" },
  {
    flag: "max-body-bytes",
    env: "TOLLGATE_MAX_BODY_BYTES",
    default: String(DEFAULT_MAX_BODY_BYTES),
    help: "largest request body (the largest SAML assertion fits)",
  },
  {
    flag: "auth-failure-limit",
    env: "TOLLGATE_AUTH_FAILURE_LIMIT",
    default: "10",
    help: "failed authentications of a client from one source per window before that source is locked out",
  },
  {
    flag: "auth-failure-window",
    env: "TOLLGATE_AUTH_FAILURE_WINDOW",
    default: "60s",
    help: "the window of --auth-failure-limit",
  },
  {
    flag: "trusted-proxies",
    env: "TOLLGATE_TRUSTED_PROXIES",
    help: "comma-separated CIDRs whose X-Forwarded-For names a request's source (lock-outs are per source) [none]",
  },
  {
    flag: "registration-endpoint",
    env: "TOLLGATE_REGISTRATION_ENDPOINT",
    help: "URL of the registrar's POST /register, advertised in discovery as registration_endpoint [none]",
  },
  {
    flag: "users-file",
    env: "TOLLGATE_USERS_FILE",
    help: "bcrypt htpasswd lines: the password grant's directory for clients that name none",
  },
  {
    flag: "shutdown-timeout",
    env: "TOLLGATE_SHUTDOWN_TIMEOUT",
    default: "25s",
    help: "on SIGTERM, drain and close within this, then exit regardless",
  },
  {
    flag: "service-account-issuer",
    env: "TOLLGATE_SERVICE_ACCOUNT_ISSUER",
    help: "the cluster's ServiceAccount token issuer (kube-apiserver --service-account-issuer): workload identity on [off]",
  },
  {
    flag: "service-account-audience",
    env: "TOLLGATE_SERVICE_ACCOUNT_AUDIENCE",
    help: "the aud a ServiceAccount token must carry [the issuer]",
  },
  {
    flag: "service-account-ca-file",
    env: "TOLLGATE_SERVICE_ACCOUNT_CA_FILE",
    help: "CA bundle of the service-account issuer's HTTPS (the cluster CA) [system CAs]",
  },
  {
    flag: "service-account-token-file",
    env: "TOLLGATE_SERVICE_ACCOUNT_TOKEN_FILE",
    help: "bearer token for the issuer's discovery and JWKS, re-read per fetch [none: anonymous]",
  },
  { flag: "help", env: "", boolean: true, help: "print this and exit" },
] as const satisfies readonly Option[];

type Flag = (typeof OPTIONS)[number]["flag"];

export function usage(): string {
  const rows = OPTIONS.map((o: Option) => {
    const fallback = o.default === undefined ? "" : ` [${o.default}]`;
    return `  --${o.flag.padEnd(20)} ${o.env.padEnd(30)} ${o.help}${fallback}`;
  });
  return `Usage: node token-server/main.ts [flags]\n\n  flag                   environment\n${rows.join("\n")}\n`;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      OPTIONS.map((o: Option) => [o.flag, { type: o.boolean ? ("boolean" as const) : ("string" as const) }]),
    ),
    strict: true,
    allowPositionals: false,
  });
  const option = (flag: Flag): Option => OPTIONS.find((o) => o.flag === flag) as Option;
  /** The flag's value, else its variable's, else its default (undefined when it has none). */
  const pick = (flag: Flag): string | undefined => {
    const fromFlag = values[flag];
    if (typeof fromFlag === "string") return fromFlag;
    const fromEnv = env[option(flag).env];
    return fromEnv === undefined || fromEnv === "" ? option(flag).default : fromEnv;
  };
  const seconds = (flag: Flag) => duration(pick(flag) ?? "", `--${flag}`);
  const standalone = values.standalone === true || env.TOLLGATE_STANDALONE === "true";
  const signingAlg = pick("signing-alg") ?? DEFAULT_SIGNING_ALGORITHM;
  if (!isSigningAlgorithm(signingAlg)) throw new Error(`--signing-alg "${signingAlg}" is not supported`);
  const host = pick("host") ?? (standalone ? "127.0.0.1" : "0.0.0.0");
  const config = {
    help: values.help === true,
    standalone,
    host,
    port: integer(pick("port") ?? "", "--port", 0),
    managementHost: pick("management-host") ?? host,
    managementPort: integer(pick("management-port") ?? "", "--management-port", 0),
    metricsClientLimit: integer(pick("metrics-client-limit") ?? "", "--metrics-client-limit", 0),
    issuer: pick("issuer"),
    tlsCertFile: pick("tls-cert-file"),
    tlsKeyFile: pick("tls-key-file"),
    redisUrl: pick("redis-url") ?? "",
    redis: redisSettings({
      url: pick("redis-url") ?? "",
      mode: pick("redis-mode") ?? "",
      caFile: pick("redis-ca-file") ?? "",
      keyPrefix: pick("redis-key-prefix") ?? "",
    }),
    signingKeysDir: pick("signing-keys-dir"),
    registryKeysDir: pick("registry-keys-dir"),
    signingAlg,
    manifestsDir: pick("manifests") ?? "",
    logLevel: parseLogLevel(pick("log-level")),
    resyncIntervalSeconds: seconds("resync-interval"),
    keysPollIntervalSeconds: seconds("keys-poll-interval"),
    maxBodyBytes: integer(pick("max-body-bytes") ?? "", "--max-body-bytes", 256),
    authFailureLimit: integer(pick("auth-failure-limit") ?? "", "--auth-failure-limit", 1),
    authFailureWindowSeconds: seconds("auth-failure-window"),
    usersFile: pick("users-file"),
    registrationEndpoint: pick("registration-endpoint"),
    trustedProxies: (pick("trusted-proxies") ?? "")
      .split(",")
      .map((cidr) => cidr.trim())
      .filter((cidr) => cidr !== ""),
    shutdownTimeoutSeconds: seconds("shutdown-timeout"),
    serviceAccountIssuer: pick("service-account-issuer"),
    serviceAccountAudience: pick("service-account-audience"),
    serviceAccountCaFile: pick("service-account-ca-file"),
    serviceAccountTokenFile: pick("service-account-token-file"),
  };
  if (config.serviceAccountIssuer !== undefined && !config.serviceAccountIssuer.startsWith("https://"))
    throw new Error("--service-account-issuer must be an https URL (the API server serves its discovery over TLS)");
  new TrustedProxies(config.trustedProxies); // throws on a malformed CIDR, at start rather than per request
  if (config.managementPort !== 0 && config.managementPort === config.port)
    throw new Error("--management-port must differ from --port: the public port must not serve /metrics");
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined))
    throw new Error("--tls-cert-file and --tls-key-file go together");
  if (!config.standalone && !config.signingKeysDir && !config.help)
    throw new Error("--signing-keys-dir (TOLLGATE_SIGNING_KEYS_DIR) is required unless --standalone");
  if (!config.standalone && !config.registryKeysDir && !config.help)
    throw new Error("--registry-keys-dir (TOLLGATE_REGISTRY_KEYS_DIR) is required unless --standalone");
  return config;
}

function integer(text: string, name: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${text}"`);
  return value;
}

/** Whole seconds, at least one: "30s", "10m", "1h30m", or a bare number of seconds. */
function duration(text: string, name: string): number {
  let value: number;
  try {
    value = /^\d+$/.test(text) ? Number(text) : parseDuration(text);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number of seconds >= 1, got "${text}"`);
  return value;
}
