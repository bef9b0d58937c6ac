// The scale run of bench/reconcile.ts: 10,000 OAuthClients across 50 namespaces, with
// 20,000 unrelated Secrets (4 KiB each) in the cluster that the operator must not hold
// in memory. Targets on a 2-core machine (issue "Scale"): operator peak RSS <= 250 MiB,
// all Ready in <= 240 s, token server <= 120 MiB idle with the registry loaded.
//   node bench/reconcile-scale.ts     (TOLLGATE_BENCH_SCALE_CLIENTS etc. shrink it)
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const env = {
  ...process.env,
  TOLLGATE_BENCH_CLIENTS: process.env.TOLLGATE_BENCH_SCALE_CLIENTS ?? "10000",
  TOLLGATE_BENCH_NAMESPACES: process.env.TOLLGATE_BENCH_SCALE_NAMESPACES ?? "50",
  TOLLGATE_BENCH_FOREIGN_SECRETS: process.env.TOLLGATE_BENCH_SCALE_FOREIGN_SECRETS ?? "20000",
  // A reconcile mostly waits on the API server (five requests, one after another), so a
  // large installation runs more of them at once: the chart's operator.concurrency.
  TOLLGATE_BENCH_CONCURRENCY: process.env.TOLLGATE_BENCH_SCALE_CONCURRENCY ?? "16",
};
process.stdout.write("targets: operator peak RSS <= 250 MiB, all Ready <= 240 s, token server <= 120 MiB idle\n");
const result = spawnSync(process.execPath, [join(import.meta.dirname, "reconcile.ts")], { stdio: "inherit", env });
process.exit(result.status ?? 1);
