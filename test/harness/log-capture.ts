// Keeps every log line the test suite produces, for test/log-leak/check.ts to search
// for the credentials the suite used. `npm test` sets TOLLGATE_TEST_LOG_DIR; without it
// (one test file run by hand) nothing is kept and nothing changes.
//   - processes.ts copies each child process's output (operator, token server, the
//     control plane, the node) here;
//   - in-process servers log through testLogger();
//   - the node copies its pods' logs here before it is swept;
//   - rememberCredential() notes a credential that has no recognisable shape (a
//     password, a test client's secret), so the check can look for it by value.
import { appendFileSync, cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createLogger, type Logger, type LogLevel } from "../../common/logger.ts";

export const LOG_CAPTURE_ENV = "TOLLGATE_TEST_LOG_DIR";
export const CREDENTIALS_FILE = "credentials.txt";

export function logCaptureDir(): string | undefined {
  const dir = process.env[LOG_CAPTURE_ENV];
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A file in the capture dir for `name`, unique to this process; undefined when not capturing. */
export function capturePath(name: string): string | undefined {
  const dir = logCaptureDir();
  return dir && join(dir, `${process.pid}-${name.replace(/[^\w.-]+/g, "_")}`);
}

/** Notes a credential the suite used, to be looked for in every captured log. */
export function rememberCredential(value: string): string {
  const dir = logCaptureDir();
  if (dir && value.length >= 6) appendFileSync(join(dir, CREDENTIALS_FILE), `${JSON.stringify(value)}\n`);
  return value;
}

/**
 * A logger for a server a test runs in its own process: lines go to the capture dir,
 * to `lines` (for assertions) and to `write` when given, never to the test's output.
 */
export function testLogger(
  name: string,
  options: { level?: LogLevel; lines?: string[]; write?: (line: string) => void } = {},
): Logger {
  const file = capturePath(`${name}.log`);
  return createLogger({
    level: options.level ?? "debug",
    write: (line) => {
      options.lines?.push(line);
      options.write?.(line);
      if (file) appendFileSync(file, line);
    },
  });
}

/** Copies a directory of logs (a node's pod logs) into the capture dir. */
export function captureDirectory(source: string, name: string): void {
  const target = capturePath(name);
  if (target && existsSync(source)) cpSync(source, target, { recursive: true });
}
