// Per-resource series that platform teams alert on, in the manner of cert-manager's
// certmanager_certificate_ready_status / _expiration_timestamp_seconds /
// _renewal_timestamp_seconds: computed at each scrape from the informer caches, so a
// deleted OAuthClient's series are gone at the next scrape and a follower (whose
// caches are as warm) exports nothing, leaving one copy per cluster.
import type { V1Secret } from "@kubernetes/client-node";
import { Gauge, type Registry } from "prom-client";
import type { OAuthClient } from "../api/v1alpha1/oauthclient.ts";
import { parseDuration } from "../registry/duration.ts";

const STATUSES = ["True", "False", "Unknown"] as const;

export interface ClientMetricsSources {
  oauthClients(): OAuthClient[];
  isLeader(): boolean;
  /** The signing-keys Secret, its rotation annotation and period; absent when the operator manages none. */
  signingKeys?: { secret(): V1Secret | undefined; rotatedAtAnnotation: string; rotationMs: number };
}

export function registerClientMetrics(registry: Registry, sources: ClientMetricsSources): void {
  const labelNames = ["namespace", "name"] as const;
  const ready = new Gauge({
    name: "tollgate_oauthclient_ready_status",
    help: "The Ready condition of an OAuthClient: 1 for its current status (condition label True, False or Unknown), 0 for the others.",
    labelNames: [...labelNames, "condition"],
    registers: [registry],
    // This family's collect fills them all: prom-client starts each metric's collect in
    // registration order, synchronously, so every family describes the same cache state.
    collect: () => fill(),
  });
  const condition = new Gauge({
    name: "tollgate_oauthclient_status_condition",
    help: "Every status condition of an OAuthClient (type label), 1 with its current status (status label).",
    labelNames: [...labelNames, "type", "status"],
    registers: [registry],
  });
  const rotated = new Gauge({
    name: "tollgate_oauthclient_secret_rotation_timestamp_seconds",
    help: "When the client's secret was last generated or rotated (status.secretRotatedAt).",
    labelNames,
    registers: [registry],
  });
  const age = new Gauge({
    name: "tollgate_oauthclient_secret_age_seconds",
    help: "Seconds since the client's secret was last generated or rotated.",
    labelNames,
    registers: [registry],
  });
  const next = new Gauge({
    name: "tollgate_oauthclient_secret_next_rotation_timestamp_seconds",
    help: "When the next scheduled rotation is due (last rotation + spec.credentials.rotation.every); absent without a schedule.",
    labelNames,
    registers: [registry],
  });
  const keysRotated = new Gauge({
    name: "tollgate_signing_keys_rotation_timestamp_seconds",
    help: "When the operator last created or rotated the token signing keys.",
    registers: [registry],
  });
  const keysNext = new Gauge({
    name: "tollgate_signing_keys_next_rotation_timestamp_seconds",
    help: "When the next signing-key rotation is due.",
    registers: [registry],
  });
  const fill = () => {
    for (const gauge of [ready, condition, rotated, age, next, keysRotated, keysNext]) gauge.reset();
    if (!sources.isLeader()) return;
    const now = Date.now();
    for (const client of sources.oauthClients()) {
      const labels = { namespace: client.metadata.namespace ?? "", name: client.metadata.name };
      const conditions = client.status?.conditions ?? [];
      const readyStatus = conditions.find((c) => c.type === "Ready")?.status ?? "Unknown";
      for (const status of STATUSES) ready.set({ ...labels, condition: status }, status === readyStatus ? 1 : 0);
      for (const c of conditions) condition.set({ ...labels, type: c.type, status: c.status }, 1);
      const at = Date.parse(client.status?.secretRotatedAt ?? "");
      if (Number.isNaN(at)) continue;
      rotated.set(labels, at / 1000);
      age.set(labels, Math.max(0, (now - at) / 1000));
      const every = seconds(client.spec.credentials?.rotation?.every);
      if (every !== undefined) next.set(labels, at / 1000 + every);
    }
    const keys = sources.signingKeys;
    const keysAt = Date.parse(keys?.secret()?.metadata?.annotations?.[keys.rotatedAtAnnotation] ?? "");
    if (keys && !Number.isNaN(keysAt)) {
      keysRotated.set(keysAt / 1000);
      keysNext.set((keysAt + keys.rotationMs) / 1000);
    }
  };
}

function seconds(duration: string | undefined): number | undefined {
  if (!duration) return undefined;
  try {
    return parseDuration(duration);
  } catch {
    return undefined;
  }
}
