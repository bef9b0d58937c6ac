// The operator process: `npm run operator -- --help`. Configuration: config.ts.
// SIGTERM or SIGINT stops it gracefully (reconciles in flight finish, the Lease is
// released so another replica takes over at once) within --shutdown-timeout, whatever
// Redis or the API server do; a second signal exits at once.

import { createLogger } from "../common/logger.ts";
import { installShutdown } from "../common/shutdown.ts";
import { startTracing } from "../common/tracing.ts";
import { loadConfig, usage } from "./config.ts";
import { startOperator } from "./operator.ts";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(usage());
  process.exit(0);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${usage()}`);
  process.exit(2);
}
const log = createLogger({ level: config.logLevel });
process.on("unhandledRejection", (reason) => log.error("unhandled rejection", { error: reason }));

const tracing = await startTracing("tollgate-operator");
if (tracing.enabled) log.info("tracing on: spans go to the OTLP endpoint of OTEL_EXPORTER_OTLP_*");
const operator = await startOperator(config, { log, defaultMetrics: true, tracing });
installShutdown({
  log,
  timeoutMs: config.shutdownTimeoutMs,
  steps: [
    { name: "stop the operator", run: () => operator.stop() },
    { name: "flush traces", run: () => tracing.shutdown() },
  ],
});
