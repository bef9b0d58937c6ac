// Runs a server script in N worker processes sharing one port (node:cluster), for the
// "both cores" figure. Usage: node bench/servers/cluster.ts <workers> <script> [args...]
import cluster from "node:cluster";

const [workers, script, ...args] = process.argv.slice(2);
cluster.setupPrimary({ exec: script as string, args });
for (let i = 0; i < Number(workers); i++) cluster.fork();
for (const signal of ["SIGTERM", "SIGINT"] as const)
  process.once(signal, () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
