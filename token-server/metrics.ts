// Prometheus metrics of one token server (a registry of its own, so several servers
// in one process, as in tests, do not collide).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  requests: Counter<"endpoint" | "grant_type" | "outcome">;
  duration: Histogram<"endpoint">;
  clients: Gauge;
  rejectedRecords: Counter<"reason">;
}

export function createMetrics(options: { processMetrics?: boolean; clientCount?: () => number } = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const clientCount = options.clientCount;
  return {
    registry,
    requests: new Counter({
      name: "tollgate_token_server_requests_total",
      help: "Requests by endpoint, grant type (token endpoint only) and outcome (ok or the OAuth error code).",
      labelNames: ["endpoint", "grant_type", "outcome"],
      registers: [registry],
    }),
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
  };
}
