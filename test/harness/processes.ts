// Child processes for tests: started detached in their own process group, killed
// with the group, and killed again when this process exits by any path, so a failed
// test never leaves an etcd or a redis-server behind.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { basename } from "node:path";
import { capturePath } from "./log-capture.ts";

const running = new Set<ChildProcess>();

/** PIDs of the processes this process started and that still run. */
export function startedPids(): number[] {
  return [...running].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

process.once("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const child of running) killGroup(child, "SIGKILL");
    process.exit(130);
  });
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash; resolves when the process is gone. */
  kill(): Promise<void>;
}

export function startProcess(
  command: string,
  args: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): ManagedProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const captured = capturePath(`${basename(logFile)}-${child.pid}`);
  if (captured) {
    const copy = createWriteStream(captured, { flags: "a" });
    child.stdout?.pipe(copy);
    child.stderr?.pipe(copy);
  }
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => running.delete(child));
  child.unref();
  return {
    child,
    logFile,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, "SIGKILL");
      await exited;
      log.end();
    },
  };
}

/** A free TCP port on loopback (bound and released; good enough for test processes). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}
