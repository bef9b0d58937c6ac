// What the observability tests share: the promtool binary (built by test/promtool/build.sh,
// cached), the chart's rules file and dashboard, and the metric names the code exports.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Registry } from "prom-client";
import { registerClientMetrics } from "../../operator/client-metrics.ts";
import { createMetrics as createOperatorMetrics } from "../../operator/metrics.ts";
import { createMetrics as createTokenServerMetrics } from "../../token-server/metrics.ts";
import { CHART_DIR } from "./render.ts";

export const RULES_FILE = join(CHART_DIR, "files", "prometheus-rules.yaml");
export const DASHBOARD_FILE = join(CHART_DIR, "files", "grafana-dashboard.json");

/** The promtool binary's path (built once per version, then cached). */
export function promtool(): string {
  const script = join(import.meta.dirname, "..", "promtool", "build.sh");
  return execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** Every series name the operator and the token server export (histograms with their suffixes). */
export async function exportedMetricNames(): Promise<Set<string>> {
  const operator = createOperatorMetrics("oauthclient", { defaultMetrics: true });
  registerClientMetrics(operator.registry, { oauthClients: () => [], isLeader: () => true });
  const tokenServer = createTokenServerMetrics({ processMetrics: true });
  const names = new Set<string>();
  for (const registry of [operator.registry, tokenServer.registry] as Registry[])
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === "histogram")
        for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${metric.name}${suffix}`);
    }
  return names;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string }[];
}

export function dashboard(): { uid: string; title: string; schemaVersion: number; panels: DashboardPanel[] } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, "utf8"));
}

/** Metric names a PromQL expression reads: identifiers of this project's and controller-runtime's families. */
export function metricNamesIn(expr: string): string[] {
  const names = expr.match(/\b(?:tollgate|controller_runtime|workqueue|leader_election|process|nodejs)_[a-zA-Z0-9_]+/g);
  return [...new Set(names ?? [])];
}
