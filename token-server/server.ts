// Assembles a token server from its parts and serves it. Used by main.ts, the tests
// and the benchmark alike, so they all run the same thing.
import { createServer, type Server } from "node:http";
import { type AddressInfo, Server as NetServer } from "node:net";
import type { Logger } from "../common/logger.ts";
import type { RegistryReader } from "../registry/record.ts";
import { createApp, settingsFor } from "./app.ts";
import { FailureLimiter } from "./client-auth/failure-limiter.ts";
import { ClientCache } from "./client-cache.ts";
import type { KeyRing } from "./key-ring.ts";
import { createMetrics } from "./metrics.ts";
import type { ServerSettings, TokenServer } from "./request-context.ts";
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
  /**
   * Graceful drain (SIGTERM): stops accepting connections, answers every request that
   * arrives on an open connection (with `Connection: close`, so the client reconnects to
   * another replica), and closes the rest once nothing has been in flight for a while;
   * connections still open at the deadline are cut.
   */
  drain(timeoutMs: number): Promise<void>;
}

/** A connection with nothing in flight for this long is idle, not between two requests of a busy client. */
const DRAIN_IDLE_MS = 1000;

export async function startTokenServer(options: TokenServerOptions): Promise<RunningTokenServer> {
  const metrics = createMetrics({ processMetrics: options.processMetrics ?? false, clientCount: () => clients.size });
  // A record Redis holds but the operator did not write (or one edited since): never a client.
  options.registry.onRejectedRecord?.(({ clientId, reason }) => {
    metrics.rejectedRecords.inc({ reason });
    options.log.error("registry record refused: it does not verify under the registry record keys", {
      clientId,
      reason,
    });
  });
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
    metrics,
    log: options.log,
  };
  const handle = createApp(server).callback();
  let draining = false;
  let inFlight = 0;
  let lastFinishedAt = Date.now();
  http.on("request", (req, res) => {
    inFlight += 1;
    res.once("close", () => {
      inFlight -= 1;
      lastFinishedAt = Date.now();
    });
    // Node then sends `Connection: close` and closes the socket after this response.
    if (draining) res.shouldKeepAlive = false;
    void handle(req, res);
  });
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
    async drain(timeoutMs) {
      draining = true;
      const deadline = Date.now() + timeoutMs;
      // net.Server's close, not http.Server's: the latter also drops idle keep-alive
      // connections at once, and a client that is just sending its next request on
      // one of them gets a reset instead of an answer.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(http, () => resolve()));
      options.log.info("draining", { inFlight, timeoutMs });
      while (Date.now() < deadline) {
        if (inFlight === 0 && Date.now() - lastFinishedAt >= DRAIN_IDLE_MS) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (inFlight > 0) options.log.warn("drain deadline passed with requests in flight", { inFlight });
      http.closeAllConnections();
      await closed;
      await clients.stop();
    },
  };
}
