// Assembles a token server from its parts and serves it. Used by main.ts, the tests
// and the benchmark alike, so they all run the same thing.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../common/logger.ts";
import type { RegistryReader } from "../registry/record.ts";
import { createApp, settingsFor } from "./app.ts";
import { FailureLimiter } from "./client-auth/failure-limiter.ts";
import { ClientCache } from "./client-cache.ts";
import type { ServerSettings, TokenServer } from "./context.ts";
import type { KeyRing } from "./key-ring.ts";
import { createMetrics } from "./metrics.ts";
import type { TokenState } from "./state/token-state.ts";

export interface TokenServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Default: http://<host>:<bound port>. */
  issuer?: string;
  registry: RegistryReader;
  state: TokenState;
  keys: KeyRing;
  log: Logger;
  settings?: Partial<Omit<ServerSettings, "issuer">>;
  resyncIntervalMs?: number;
  /** How long to wait for the first registry load before listening anyway; default 5 s. */
  registryWaitMs?: number;
  processMetrics?: boolean;
}

export interface RunningTokenServer {
  /** Base URL the server listens on. */
  url: string;
  issuer: string;
  server: TokenServer;
  clients: ClientCache;
  http: Server;
  /** Stops listening and the background work; the registry, state and keys are the caller's to close. */
  close(): Promise<void>;
}

export async function startTokenServer(options: TokenServerOptions): Promise<RunningTokenServer> {
  const clients = await ClientCache.start(options.registry, {
    log: options.log,
    ...(options.resyncIntervalMs === undefined ? {} : { resyncIntervalMs: options.resyncIntervalMs }),
    ...(options.registryWaitMs === undefined ? {} : { initialWaitMs: options.registryWaitMs }),
  });
  const http = createServer({ keepAliveTimeout: 65_000 });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const host = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const issuer = options.issuer ?? url;
  const settings = settingsFor(issuer, options.settings);
  const server: TokenServer = {
    settings,
    clients,
    keys: options.keys,
    state: options.state,
    failures: new FailureLimiter(options.state.store, settings.authFailureLimit, settings.authFailureWindowSeconds),
    metrics: createMetrics({ processMetrics: options.processMetrics ?? false, clientCount: () => clients.size }),
    log: options.log,
  };
  http.on("request", createApp(server).callback());
  options.log.info("token server listening", { url, issuer });
  return {
    url,
    issuer,
    server,
    clients,
    http,
    async close() {
      await clients.stop();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
