// The registrar's flags (`tollgate registrar --help`), each with its TOLLGATE_REGISTRAR_*
// environment variable; defaults are in OPTIONS.
import { parseArgs } from "node:util";
import { type LogLevel, parseLogLevel } from "../common/logger.ts";
import { parseDuration } from "../registry/duration.ts";

export interface RegistrarConfig {
  /** Empty: in-cluster (the pod's ServiceAccount), else the default kubeconfig. */
  kubeconfig: string;
  host: string;
  port: number;
  /** The public URL of POST /register; RFC 7592 client URIs are built under it. */
  registrationEndpoint: string;
  /** File with the key (at least 32 bytes) that seals registration access tokens. */
  keyFile: string;
  readyTimeoutMs: number;
  logLevel: LogLevel;
}

const OPTIONS = {
  kubeconfig: { default: "", help: "kubeconfig file; empty: in-cluster or the default kubeconfig" },
  host: { default: "0.0.0.0", help: "address to listen on" },
  port: { default: "8090", help: "port to listen on" },
  "registration-endpoint": { default: "", help: "public URL of POST /register (required)" },
  "key-file": { default: "", help: "file holding the registration access token key, >= 32 bytes (required)" },
  "ready-timeout": { default: "30s", help: "how long a registration waits for the client to be Ready" },
  "log-level": { default: "info", help: "debug, info, warn or error" },
} as const;

export function usage(): string {
  const lines = Object.entries(OPTIONS).map(
    ([flag, o]) => `  --${flag.padEnd(24)} ${o.help}${o.default ? ` (default ${o.default})` : ""}`,
  );
  return `usage: tollgate registrar [flags]\n${lines.join("\n")}\n`;
}

export function loadRegistrarConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): RegistrarConfig {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(OPTIONS).map((flag) => [flag, { type: "string" as const }])),
    strict: true,
  });
  const get = (flag: keyof typeof OPTIONS): string =>
    (values[flag] as string | undefined) ??
    env[`TOLLGATE_REGISTRAR_${flag.toUpperCase().replaceAll("-", "_")}`] ??
    OPTIONS[flag].default;
  const registrationEndpoint = get("registration-endpoint").replace(/\/+$/, "");
  if (!/^https?:\/\//.test(registrationEndpoint)) throw new Error("--registration-endpoint must be an http(s) URL");
  if (!get("key-file")) throw new Error("--key-file is required");
  const port = Number(get("port"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port must be a port number");
  return {
    kubeconfig: get("kubeconfig"),
    host: get("host"),
    port,
    registrationEndpoint,
    keyFile: get("key-file"),
    readyTimeoutMs: parseDuration(get("ready-timeout")) * 1000,
    logLevel: parseLogLevel(get("log-level")),
  };
}
