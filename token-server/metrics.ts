// Prometheus metrics of one token server (a registry of its own, so several servers
// in one process, as in tests, do not collide). Every metric is listed, with what to
// alert on, in docs/observability.md.
//
// Per-client series are bounded: a client_id label value is only ever the ID of a
// client the server found in its registry (never a raw request value), the first
// `clientLimit` such IDs get their own series and the rest share client_id="other";
// requests without an authenticated client count as "unauthenticated". A client that
// leaves the registry loses its series at the next scrape, freeing its place.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { Tallies } from "./metric-tallies.ts";

export interface MetricsSources {
  /** Clients in the in-memory registry. */
  clientCount?: () => number;
  /** Whether a client ID is in the registry now (a series of one that is not is removed). */
  isRegistered?: (clientId: string) => boolean;
  /** Epoch ms of the last successful registry sync (full load or revision check); undefined before the first. */
  lastRegistrySync?: () => number | undefined;
  /** Epoch ms when the current signing key was loaded, and its kid. */
  signingKey?: () => { kid: string; loadedAt: number } | undefined;
  /** Redis connections by name (registry, token_state): up or not. Absent in standalone mode. */
  redisConnections?: Record<string, () => boolean>;
}

export interface Metrics {
  registry: Registry;
  requests: Counter<"endpoint" | "grant_type" | "outcome">;
  duration: Histogram<"endpoint">;
  clients: Gauge;
  /** Counts a request in `requests` (metric-tallies.ts: cheaper than its inc() on every request). */
  request(endpoint: string, grantType: string, outcome: string): void;
  /** Counts a request of a client (bounded label: see above). */
  clientRequest(clientId: string | undefined, endpoint: string, outcome: string): void;
  /** Counts a client entering lockout (client-auth/failure-limiter.ts). */
  lockout(clientId: string): void;
  rejectedRecords: Counter<"reason">;
}

export const UNAUTHENTICATED = "unauthenticated";
export const OTHER_CLIENTS = "other";

export function createMetrics(
  options: MetricsSources & { processMetrics?: boolean; clientLimit?: number } = {},
): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const { clientCount, isRegistered } = options;
  const clientLimit = options.clientLimit ?? 500;
  /** The clients with series of their own. */
  const tracked = new Set<string>();
  const clientRequests: Counter<"client_id" | "endpoint" | "outcome"> = new Counter({
    name: "tollgate_token_server_client_requests_total",
    help: `Requests by authenticated client (registered IDs only; beyond ${clientLimit} clients "${OTHER_CLIENTS}"; none: "${UNAUTHENTICATED}"), endpoint and outcome.`,
    labelNames: ["client_id", "endpoint", "outcome"],
    registers: [registry],
    collect() {
      clientTallies.flush();
      // Series of clients that left the registry go, and free their place.
      if (!isRegistered) return;
      for (const clientId of tracked) {
        if (isRegistered(clientId)) continue;
        clientTallies.remove(clientId);
        lockouts.remove({ client_id: clientId });
        tracked.delete(clientId);
      }
    },
  });
  const clientTallies = new Tallies(clientRequests, ["client_id", "endpoint", "outcome"]);
  const lockouts = new Counter({
    name: "tollgate_token_server_client_lockouts_total",
    help: "Times a client was locked out after repeated failed authentications (same bounded client_id label).",
    labelNames: ["client_id"],
    registers: [registry],
  });
  const label = (clientId: string | undefined): string => {
    if (clientId === undefined) return UNAUTHENTICATED;
    if (tracked.has(clientId)) return clientId;
    if (tracked.size >= clientLimit) return OTHER_CLIENTS;
    tracked.add(clientId);
    return clientId;
  };
  new Gauge({
    name: "tollgate_token_server_registry_last_sync_timestamp_seconds",
    help: "When the in-memory registry last matched Redis (a full load or a revision check); alert on its age.",
    registers: [registry],
    collect() {
      const at = options.lastRegistrySync?.();
      if (at !== undefined) this.set(at / 1000);
    },
  });
  new Gauge({
    name: "tollgate_token_server_signing_key_loaded_timestamp_seconds",
    help: "When this server loaded the key it signs with (kid label); older than the operator's last rotation means it missed the rotation.",
    labelNames: ["kid"],
    registers: [registry],
    collect() {
      this.reset();
      const key = options.signingKey?.();
      if (key) this.set({ kid: key.kid }, key.loadedAt / 1000);
    },
  });
  new Gauge({
    name: "tollgate_token_server_redis_up",
    help: "1 while the Redis connection (registry or token_state) is ready.",
    labelNames: ["connection"],
    registers: [registry],
    collect() {
      for (const [connection, up] of Object.entries(options.redisConnections ?? {}))
        this.set({ connection }, up() ? 1 : 0);
    },
  });
  const requests: Counter<"endpoint" | "grant_type" | "outcome"> = new Counter({
    name: "tollgate_token_server_requests_total",
    help: "Requests by endpoint, grant type (token endpoint only) and outcome (ok or the OAuth error code).",
    labelNames: ["endpoint", "grant_type", "outcome"],
    registers: [registry],
    collect() {
      requestTallies.flush();
    },
  });
  const requestTallies = new Tallies(requests, ["endpoint", "grant_type", "outcome"]);
  return {
    registry,
    requests,
    duration: new Histogram({
      name: "tollgate_token_server_request_duration_seconds",
      help: "Request latency by endpoint.",
      labelNames: ["endpoint"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    rejectedRecords: new Counter({
      name: "tollgate_token_server_registry_records_rejected_total",
      help: "Registry records refused because they do not verify under the record keys, by reason (unsigned, malformed, unknown_key, bad_mac, wrong_client).",
      labelNames: ["reason"],
      registers: [registry],
    }),
    clients: new Gauge({
      name: "tollgate_token_server_registry_clients",
      help: "Clients in the in-memory registry.",
      registers: [registry],
      collect() {
        if (clientCount) this.set(clientCount());
      },
    }),
    request(endpoint, grantType, outcome) {
      requestTallies.add(endpoint, grantType, outcome);
    },
    clientRequest(clientId, endpoint, outcome) {
      clientTallies.add(label(clientId), endpoint, outcome);
    },
    lockout(clientId) {
      lockouts.inc({ client_id: label(clientId) });
    },
  };
}
