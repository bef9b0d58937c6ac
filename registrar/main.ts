// The registrar process: `tollgate registrar --help`. SIGTERM or SIGINT closes the server.
import { createLogger } from "../common/logger.ts";
import { installShutdown } from "../common/shutdown.ts";
import { loadRegistrarConfig, usage } from "./config.ts";
import { startRegistrar } from "./server.ts";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(usage());
  process.exit(0);
}
let config: ReturnType<typeof loadRegistrarConfig>;
try {
  config = loadRegistrarConfig(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${usage()}`);
  process.exit(2);
}
const log = createLogger({ level: config.logLevel });
const registrar = await startRegistrar(config, log);
installShutdown({ log, timeoutMs: 10_000, steps: [{ name: "close the registrar", run: () => registrar.close() }] });
