// Bounded shutdown for both components. Kubernetes sends SIGTERM, waits
// terminationGracePeriodSeconds, then SIGKILLs: a process that hangs in between (a
// Redis client retrying forever, an API server that never answers the Lease release)
// loses its last logs and holds the rollout up. So every step runs against one
// deadline, and when the deadline passes the process exits anyway, saying which step
// it was waiting for.
import type { Logger } from "./logger.ts";

export interface ShutdownStep {
  /** Shown in the log when the deadline cuts this step short. */
  name: string;
  run(): Promise<void>;
}

export interface ShutdownOptions {
  log: Logger;
  /** The whole shutdown, every step included, ends within this many milliseconds. */
  timeoutMs: number;
  steps: ShutdownStep[];
  /** Injected by tests; process.exit otherwise. */
  exit?: (code: number) => void;
}

/**
 * Runs the steps in order within the deadline, then exits: 0 when every step finished
 * in time, 1 when one failed or the deadline passed. A second signal exits at once.
 */
export function installShutdown(options: ShutdownOptions): void {
  let started = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.on(signal, () => {
      if (started) {
        options.log.warn("second signal: exiting now", { signal });
        (options.exit ?? process.exit)(1);
        return;
      }
      started = true;
      options.log.info("shutting down", { signal, timeoutMs: options.timeoutMs });
      void runShutdown(options).then((code) => (options.exit ?? process.exit)(code));
    });
}

/** The steps against one deadline; resolves to the exit code. */
export async function runShutdown(options: Omit<ShutdownOptions, "exit">): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  let code = 0;
  for (const step of options.steps) {
    const left = deadline - Date.now();
    if (left <= 0) {
      options.log.warn("shutdown deadline passed; skipping the rest", { step: step.name });
      return 1;
    }
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      step.run().then(
        () => "done" as const,
        (error: unknown) => {
          options.log.warn("shutdown step failed", { step: step.name, error });
          return "failed" as const;
        },
      ),
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), left);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      options.log.warn("shutdown deadline passed while waiting", { step: step.name, timeoutMs: options.timeoutMs });
      return 1;
    }
    if (outcome === "failed") code = 1;
  }
  options.log.info("shut down", { exitCode: code });
  return code;
}
