// The Node flags the image starts both components with (the Dockerfile's ENTRYPOINT, before
// the script), so the benchmarks measure memory and CPU as shipped rather than with V8's
// defaults for the machine they run on. TOLLGATE_BENCH_NODE_FLAGS replaces them (space-separated;
// "none" for Node's defaults), to measure what a flag costs or saves.
import { readFileSync } from "node:fs";

export function imageNodeFlags(): string[] {
  const override = process.env.TOLLGATE_BENCH_NODE_FLAGS;
  if (override !== undefined) return override === "none" ? [] : override.split(" ").filter(Boolean);
  const dockerfile = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!entrypoint) throw new Error("the Dockerfile has no ENTRYPOINT in exec form");
  const argv = JSON.parse(entrypoint) as string[];
  const script = argv.findIndex((arg, i) => i > 0 && !arg.startsWith("-"));
  return argv.slice(1, script);
}
