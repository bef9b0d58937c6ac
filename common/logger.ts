// The one logger of both components: pino, JSON lines on stdout, one object per event,
// so a log pipeline can filter by `key` (namespace/name), `controller`, `endpoint`,
// `client_id` or `request_id` without parsing prose.
//
// Credentials never reach it. Call sites pass chosen fields, never a request body or
// header set; on top of that pino redacts by *path* (below), so a field that carries a
// credential is replaced wherever it sits in the first two levels. Redaction by path
// rather than by name pattern keeps `secretName` (a Secret's name) and `tokenEndpoint`
// (a URL) readable, which an investigation needs. Messages are fixed strings: a value
// goes in a field, never into `msg`, so it passes through the redaction.
// test/log-leak/ greps every log line the whole test suite produced for every
// credential the suite used.
import { pino, stdSerializers } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Fields that hold a credential, at the top level or one level down (e.g. `params.client_secret`). */
const CREDENTIAL_FIELDS = [
  "secret",
  "client_secret",
  "password",
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "id_token_hint",
  "code",
  "code_verifier",
  "assertion",
  "client_assertion",
  "authorization",
  "cookie",
  "jwk",
  "privateKey",
  "registration_access_token",
];
const REDACT_PATHS = CREDENTIAL_FIELDS.flatMap((field) => [field, `*.${field}`]);

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go (one call per line, newline included); process.stdout by default. */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.write ? { write: options.write } : pino.destination({ dest: 1, sync: true });
  return wrap(
    pino(
      {
        level: options.level ?? "info",
        base: undefined,
        messageKey: "msg",
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: REDACT_PATHS, censor: "[redacted]" },
        // An Error in `error`/`err` becomes { type, message, stack, code, cause… }: the
        // causes chained by `new Error(…, { cause })` are kept, as are the API server's
        // and node-redis's `code`s.
        serializers: { error: serializeError, err: serializeError, cause: serializeError },
      },
      destination,
    ),
  );
}

function wrap(logger: pino.Logger): Logger {
  return {
    debug: (msg, fields) => logger.debug(fields ?? {}, msg),
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
    child: (fields) => wrap(logger.child(fields)),
  };
}

/** Errors in full (with causes); an OAuth error code or any other value as it is. */
function serializeError(value: unknown): unknown {
  return value instanceof Error ? stdSerializers.errWithCause(value) : value;
}

export function parseLogLevel(text: string | undefined): LogLevel {
  if (text === undefined || text === "") return "info";
  if ((LEVELS as readonly string[]).includes(text)) return text as LogLevel;
  throw new Error(`log level "${text}" is not one of ${LEVELS.join(", ")}`);
}

/** A short, single-line description of an error for logs and condition messages (API status messages included). */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const body = (error as { body?: unknown }).body;
    const detail = typeof body === "string" ? statusMessage(body) : undefined;
    return [code === undefined ? undefined : `(${String(code)})`, detail ?? error.message].filter(Boolean).join(" ");
  }
  return String(error);
}

function statusMessage(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === "string" ? message : undefined;
  } catch {
    return body.length > 0 ? body.slice(0, 300) : undefined;
  }
}
