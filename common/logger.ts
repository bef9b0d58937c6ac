// The one logger of both components: JSON lines on stdout, one object per event, so
// a log pipeline can filter by `key` (namespace/name), `controller` or `endpoint`
// without parsing prose. Secrets and tokens never reach it: call sites pass only
// chosen fields, and any field whose name says it could hold a credential is
// replaced before writing.

export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are never written, whatever a caller passes. */
const SENSITIVE = /secret|token|assertion|password|authorization|cookie|^code$|^jwk|^d$|private/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; process.stdout by default. */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
    copySafe(entry, bound);
    if (fields) copySafe(entry, fields);
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

function copySafe(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(from)) {
    if (SENSITIVE.test(key)) into[key] = "[redacted]";
    else if (value instanceof Error) into[key] = errorText(value);
    else into[key] = value;
  }
}

export function parseLogLevel(text: string | undefined): LogLevel {
  if (text === undefined || text === "") return "info";
  if (text in RANK) return text as LogLevel;
  throw new Error(`log level "${text}" is not one of ${Object.keys(RANK).join(", ")}`);
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
