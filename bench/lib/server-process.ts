// A benchmarked server in its own process (one core each, as deployed), started with
// the same Node, waited for, measured (resident memory) and stopped with its group.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";

/** USER_HZ on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ServerProcess {
  pid: number;
  output(): string;
  /** Resident set size of the process (the primary only, for cluster runs), in MiB. */
  rssMiB(): Promise<number>;
  /** CPU time (user + system, all threads) the process has used so far, in seconds. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServerProcess(
  script: string,
  args: string[],
  readyMarker: string,
  { readyCount = 1, timeoutMs = 60_000, nodeFlags = [] as string[] } = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  };
  process.once("exit", kill);
  const deadline = Date.now() + timeoutMs;
  while (output.split(readyMarker).length - 1 < readyCount) {
    if (child.exitCode !== null) throw new Error(`${script} exited:\n${output}`);
    if (Date.now() > deadline) {
      kill();
      throw new Error(`${script} not ready in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    pid: child.pid as number,
    output: () => output,
    async rssMiB() {
      const status = await readFile(`/proc/${child.pid}/status`, "utf8");
      const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
      return kib / 1024;
    },
    async cpuSeconds() {
      const stat = await readFile(`/proc/${child.pid}/stat`, "utf8");
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    },
    async stop() {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(kill, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
