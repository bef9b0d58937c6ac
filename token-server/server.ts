// Assembles a token server from its parts and serves it. Used by main.ts, the tests
// and the benchmark alike, so they all run the same thing.
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, Server as NetServer } from "node:net";
import type { Logger } from "../common/logger.ts";
import { NO_TRACING, type Tracing } from "../common/tracing.ts";
import type { RegistryReader } from "../registry/record.ts";
import { createApp, settingsFor } from "./app.ts";
import { FailureLimiter } from "./client-auth/failure-limiter.ts";
import { ClientCache } from "./client-cache.ts";
import type { KeyRing } from "./key-ring.ts";
import { createManagementApp } from "./management.ts";
import { createMetrics } from "./metrics.ts";
import type { ServerSettings, TokenServer } from "./request-context.ts";
import { TrustedProxies } from "./source-address.ts";
import type { TokenState } from "./state/token-state.ts";
import { followTlsFiles, readTlsPair, type TlsFiles } from "./tls.ts";
import { type IssuerFetch, issuerFetch } from "./workload-identity/issuer-fetch.ts";
import { ServiceAccountIssuer } from "./workload-identity/service-account-issuer.ts";

export interface TokenServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** /healthz, /readyz and /metrics (management.ts). Default: host, and a free port. */
  managementHost?: string;
  managementPort?: number;
  /** Default: http(s)://<host>:<bound port>. */
  issuer?: string;
  /** Serve the public port over https with this pair, reloaded when the files change (tls.ts). The management port stays http. */
  tls?: TlsFiles & { pollMs?: number };
  registry: RegistryReader;
  state: TokenState;
  keys: KeyRing;
  log: Logger;
  settings?: Partial<Omit<ServerSettings, "issuer">>;
  resyncIntervalMs?: number;
  /** How long to wait for the first registry load before listening anyway; default 5 s. */
  registryWaitMs?: number;
  processMetrics?: boolean;
  /** Registered client IDs with their own request series (metrics.ts); default 500. */
  metricsClientLimit?: number;
  /** Spans of the token, introspection and revocation endpoints; default off. */
  tracing?: Tracing;
  /** Trust the cluster's ServiceAccount tokens (workload_identity clients); default off. */
  workloadIdentity?: WorkloadIdentityOptions;
  /** Redis connections reported as tollgate_token_server_redis_up, by name. */
  redisConnections?: Record<string, () => boolean>;
}

export interface WorkloadIdentityOptions {
  /** The cluster's service-account issuer (its tokens' iss; discovery is read from it). */
  issuer: string;
  /** The aud a token must carry; default the Tollgate issuer. */
  audience?: string;
  caFile?: string;
  tokenFile?: string;
  /** How the issuer is reached; default HTTPS with caFile and tokenFile (issuer-fetch.ts). */
  fetch?: IssuerFetch;
}

export interface RunningTokenServer {
  /** Base URL the server listens on. */
  url: string;
  /** Base URL of /healthz, /readyz and /metrics. */
  managementUrl: string;
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

function serviceAccountIssuer(options: WorkloadIdentityOptions, tollgateIssuer: string): ServiceAccountIssuer {
  return new ServiceAccountIssuer({
    issuer: options.issuer,
    audience: options.audience ?? tollgateIssuer,
    fetch:
      options.fetch ??
      issuerFetch({
        ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
        ...(options.tokenFile === undefined ? {} : { tokenFile: options.tokenFile }),
      }),
  });
}

/** A connection with nothing in flight for this long is idle, not between two requests of a busy client. */
const DRAIN_IDLE_MS = 1000;

export async function startTokenServer(options: TokenServerOptions): Promise<RunningTokenServer> {
  // Read at scrape time, once the client cache below exists.
  const metrics = createMetrics({
    processMetrics: options.processMetrics ?? false,
    ...(options.metricsClientLimit === undefined ? {} : { clientLimit: options.metricsClientLimit }),
    clientCount: () => clients.size,
    isRegistered: (clientId) => clients.get(clientId) !== undefined,
    lastRegistrySync: () => clients.lastSyncAt,
    signingKey: () => options.keys.current,
    ...(options.redisConnections ? { redisConnections: options.redisConnections } : {}),
  });
  // Read before anything starts: missing or mismatched files fail the start, leaving nothing running.
  const tlsPair = options.tls ? await readTlsPair(options.tls) : undefined;
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
  const https = tlsPair ? createHttpsServer({ ...tlsPair, keepAliveTimeout: 65_000 }) : undefined;
  const http: Server = https ?? createServer({ keepAliveTimeout: 65_000 });
  const url = await listen(http, options.port, options.host, https ? "https" : "http");
  const stopTls =
    https && tlsPair && options.tls
      ? followTlsFiles(https, options.tls, tlsPair, options.log, options.tls.pollMs ?? 5000)
      : () => {};
  const issuer = options.issuer ?? url;
  const settings = settingsFor(issuer, options.settings);
  const server: TokenServer = {
    settings,
    clients,
    keys: options.keys,
    state: options.state,
    failures: new FailureLimiter(
      options.state.store,
      settings.authFailureLimit,
      settings.authFailureWindowSeconds,
      (clientId) => metrics.lockout(clientId),
    ),
    proxies: new TrustedProxies(settings.trustedProxies),
    ...(options.workloadIdentity
      ? { serviceAccountIssuer: serviceAccountIssuer(options.workloadIdentity, issuer) }
      : {}),
    metrics,
    tracing: options.tracing ?? NO_TRACING,
    log: options.log,
  };
  const handle = createApp(server).callback();
  const management = createServer(createManagementApp(server).callback());
  const managementUrl = await listen(
    management,
    options.managementPort ?? 0,
    options.managementHost ?? options.host,
  ).catch(async (error: Error) => {
    // A taken management port fails the start; the public listener must not stay open.
    await new Promise((resolve) => http.close(resolve));
    stopTls();
    await clients.stop();
    throw error;
  });
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
  options.log.info("token server listening", { url, issuer, managementUrl });
  const closeManagement = async () => {
    management.closeAllConnections();
    await new Promise<void>((resolve) => management.close(() => resolve()));
  };
  return {
    url,
    managementUrl,
    issuer,
    server,
    clients,
    http,
    async close() {
      stopTls();
      await clients.stop();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await closeManagement();
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
      stopTls();
      await clients.stop();
      await closeManagement();
    },
  };
}

/** Listens and returns the base URL (a wildcard address is reached on loopback). */
async function listen(server: Server, port: number, host: string, scheme = "http"): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const reachable = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `${scheme}://${reachable.includes(":") ? `[${reachable}]` : reachable}:${bound}`;
}
