// The token server's one configuration loader: command-line flags, then TOLLGATE_*
// environment variables, then the defaults written here.
//
//   flag                     env                          default
//   --standalone             TOLLGATE_STANDALONE=true     off: Redis registry and token state
//   --host                   TOLLGATE_HOST                127.0.0.1 standalone, 0.0.0.0 otherwise
//   --port                   TOLLGATE_PORT                8080 (0 picks a free port)
//   --issuer                 TOLLGATE_ISSUER              http://<host>:<port> (127.0.0.1 for 0.0.0.0)
//   --redis-url              TOLLGATE_REDIS_URL           redis://127.0.0.1:6379
//   --signing-keys-dir       TOLLGATE_SIGNING_KEYS_DIR    none: required unless standalone
//   --signing-alg            TOLLGATE_SIGNING_ALG         ES256 (standalone's generated key)
//   --manifests              TOLLGATE_MANIFESTS_DIR       examples (standalone)
//   --log-level              TOLLGATE_LOG_LEVEL           info
//   --resync-interval        TOLLGATE_RESYNC_INTERVAL     30 (seconds, registry revision check; full resync on change and every 10th)
//   --keys-poll-interval     TOLLGATE_KEYS_POLL_INTERVAL  5 (seconds, signing-key directory poll)
//   --max-body-bytes         TOLLGATE_MAX_BODY_BYTES      98304 (96 KiB: the largest SAML assertion, base64url, fits)
//   --auth-failure-limit     TOLLGATE_AUTH_FAILURE_LIMIT  10 (failed authentications per client ...)
//   --auth-failure-window    TOLLGATE_AUTH_FAILURE_WINDOW 60 (... per this many seconds)
//   --shutdown-timeout       TOLLGATE_SHUTDOWN_TIMEOUT    25 (seconds: on SIGTERM, drain and close within this; then exit regardless)
//   --users-file             TOLLGATE_USERS_FILE          none: bcrypt htpasswd lines, the password grant's
//                                                         directory for clients that name none (re-read on change)
import { parseArgs } from "node:util";
import { type LogLevel, parseLogLevel } from "../common/logger.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./middleware/parse-form.ts";
import { DEFAULT_SIGNING_ALGORITHM, isSigningAlgorithm, type SigningAlgorithm } from "./signing-keys.ts";

export interface Config {
  standalone: boolean;
  host: string;
  port: number;
  /** Undefined: derived from host and the bound port. */
  issuer: string | undefined;
  redisUrl: string;
  signingKeysDir: string | undefined;
  signingAlg: SigningAlgorithm;
  manifestsDir: string;
  logLevel: LogLevel;
  resyncIntervalSeconds: number;
  keysPollIntervalSeconds: number;
  maxBodyBytes: number;
  authFailureLimit: number;
  authFailureWindowSeconds: number;
  usersFile: string | undefined;
  shutdownTimeoutSeconds: number;
}

const OPTIONS = {
  standalone: { type: "boolean" },
  host: { type: "string" },
  port: { type: "string" },
  issuer: { type: "string" },
  "redis-url": { type: "string" },
  "signing-keys-dir": { type: "string" },
  "signing-alg": { type: "string" },
  manifests: { type: "string" },
  "log-level": { type: "string" },
  "resync-interval": { type: "string" },
  "keys-poll-interval": { type: "string" },
  "max-body-bytes": { type: "string" },
  "auth-failure-limit": { type: "string" },
  "auth-failure-window": { type: "string" },
  "users-file": { type: "string" },
  "shutdown-timeout": { type: "string" },
  help: { type: "boolean" },
} as const;

export const USAGE = `usage: node token-server/main.ts [--standalone] [--host H] [--port P] [--issuer URL]
  [--redis-url URL] [--signing-keys-dir DIR] [--signing-alg ES256|EdDSA|RS256|PS256]
  [--manifests DIR] [--log-level debug|info|warn|error] (see token-server/config.ts)`;

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config & { help: boolean } {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  const pick = (flag: keyof typeof OPTIONS, name: string): string | undefined => {
    const fromFlag = values[flag];
    if (typeof fromFlag === "string") return fromFlag;
    const fromEnv = env[`TOLLGATE_${name}`];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const standalone = values.standalone === true || env.TOLLGATE_STANDALONE === "true";
  const signingAlg = pick("signing-alg", "SIGNING_ALG") ?? DEFAULT_SIGNING_ALGORITHM;
  if (!isSigningAlgorithm(signingAlg)) throw new Error(`--signing-alg "${signingAlg}" is not supported`);
  const config = {
    help: values.help === true,
    standalone,
    host: pick("host", "HOST") ?? (standalone ? "127.0.0.1" : "0.0.0.0"),
    port: integer(pick("port", "PORT") ?? "8080", "--port", 0),
    issuer: pick("issuer", "ISSUER"),
    redisUrl: pick("redis-url", "REDIS_URL") ?? "redis://127.0.0.1:6379",
    signingKeysDir: pick("signing-keys-dir", "SIGNING_KEYS_DIR"),
    signingAlg,
    manifestsDir: pick("manifests", "MANIFESTS_DIR") ?? "examples",
    logLevel: parseLogLevel(pick("log-level", "LOG_LEVEL")),
    resyncIntervalSeconds: integer(pick("resync-interval", "RESYNC_INTERVAL") ?? "30", "--resync-interval", 1),
    keysPollIntervalSeconds: integer(
      pick("keys-poll-interval", "KEYS_POLL_INTERVAL") ?? "5",
      "--keys-poll-interval",
      1,
    ),
    maxBodyBytes: integer(
      pick("max-body-bytes", "MAX_BODY_BYTES") ?? String(DEFAULT_MAX_BODY_BYTES),
      "--max-body-bytes",
      256,
    ),
    authFailureLimit: integer(pick("auth-failure-limit", "AUTH_FAILURE_LIMIT") ?? "10", "--auth-failure-limit", 1),
    authFailureWindowSeconds: integer(
      pick("auth-failure-window", "AUTH_FAILURE_WINDOW") ?? "60",
      "--auth-failure-window",
      1,
    ),
    usersFile: pick("users-file", "USERS_FILE"),
    shutdownTimeoutSeconds: integer(pick("shutdown-timeout", "SHUTDOWN_TIMEOUT") ?? "25", "--shutdown-timeout", 1),
  };
  if (!config.standalone && !config.signingKeysDir && !config.help)
    throw new Error("--signing-keys-dir (TOLLGATE_SIGNING_KEYS_DIR) is required unless --standalone");
  return config;
}

function integer(text: string, name: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${text}"`);
  return value;
}
