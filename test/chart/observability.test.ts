// The chart's alerts and dashboard: the rules file passes `promtool check rules` and its
// unit tests (`promtool test rules`, prometheus-rules/alerts.test.yaml); every query of
// the rules and of the dashboard names a metric the code exports and parses as PromQL;
// the PrometheusRule and the dashboard ConfigMap render behind their values.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { typedDashboard } from "./dashboard-schema.ts";
import {
  DASHBOARD_FILE,
  dashboard,
  exportedMetricNames,
  metricNamesIn,
  promtool,
  RULES_FILE,
} from "./observability-files.ts";
import { CHART_DIR, envOf, find, helm, type KubeObject, renderChart } from "./render.ts";

const run = promisify(execFile);
let bin: string;
const work = mkdtempSync(join(tmpdir(), "tollgate-rules-"));

type Rule = { alert: string; expr: string; for?: string; labels?: Record<string, string> };
const rules = () =>
  (parse(readFileSync(RULES_FILE, "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

before(() => {
  bin = promtool();
});
after(() => rmSync(work, { recursive: true, force: true }));

test("promtool check rules: the rules file is valid", async () => {
  const { stdout } = await run(bin, ["check", "rules", RULES_FILE]);
  assert.match(stdout, new RegExp(`SUCCESS: ${rules().length} rules found`));
  assert.deepEqual(
    rules().map((r) => r.alert),
    [
      "TollgateOAuthClientNotReady",
      "TollgateOAuthClientRotationOverdue",
      "TollgateSigningKeysRotationOverdue",
      "TollgateSigningKeyStale",
      "TollgateRegistryOutOfSync",
      "TollgateRedisDown",
      "TollgateTokenErrorRate",
      "TollgateTokenServerErrors",
    ],
  );
  for (const rule of rules()) assert.ok(["warning", "critical"].includes(rule.labels?.severity ?? ""), rule.alert);
});

test("promtool test rules: every alert fires on its input series, and only then", async () => {
  const tests = join(import.meta.dirname, "prometheus-rules", "alerts.test.yaml");
  const { stdout } = await run(bin, ["test", "rules", tests]);
  assert.match(stdout, /SUCCESS/);
  const tested = new Set(
    (parse(readFileSync(tests, "utf8")) as { tests: { alert_rule_test: { alertname: string }[] }[] }).tests.flatMap(
      (t) => t.alert_rule_test.map((a) => a.alertname),
    ),
  );
  for (const rule of rules()) assert.ok(tested.has(rule.alert), `${rule.alert} has a promtool test`);
});

test("every metric the rules and the dashboard read is one the code exports", async () => {
  const exported = await exportedMetricNames();
  const queries = [
    ...rules().map((r) => ({ where: r.alert, expr: r.expr })),
    ...dashboard().panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ];
  assert.ok(queries.length > 20);
  for (const { where, expr } of queries) {
    const names = metricNamesIn(expr);
    assert.ok(names.length > 0, `${where} reads no metric: ${expr}`);
    for (const name of names) assert.ok(exported.has(name), `${where} reads ${name}, which nothing exports`);
  }
});

test("the dashboard loads: Grafana's schema types, unique panel ids, a Prometheus data source, a grid of 24, PromQL that parses", async () => {
  const board = dashboard();
  // tsc has checked the same file against Grafana's schema types (dashboard-schema.ts).
  assert.deepEqual(typedDashboard, board);
  assert.equal(board.uid, "tollgate-overview");
  assert.ok(board.title && board.schemaVersion >= 36);
  const ids = board.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  const exprs: string[] = [];
  for (const panel of board.panels) {
    const { x, y, w, h } = panel.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, `panel "${panel.title}" fits the grid`);
    if (panel.type === "row") continue;
    assert.ok(["timeseries", "stat", "table"].includes(panel.type), panel.type);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax
    assert.deepEqual(panel.datasource, { type: "prometheus", uid: "${datasource}" });
    assert.ok(panel.targets && panel.targets.length > 0, `panel "${panel.title}" has queries`);
    const refIds = panel.targets.map((t) => t.refId);
    assert.equal(new Set(refIds).size, refIds.length);
    exprs.push(...panel.targets.map((t) => t.expr));
  }
  // Panels may not overlap.
  const cells = new Set<string>();
  for (const { gridPos: g, title } of board.panels)
    for (let i = g.x; i < g.x + g.w; i++)
      for (let j = g.y; j < g.y + g.h; j++) {
        assert.ok(!cells.has(`${i},${j}`), `panel "${title}" overlaps another at ${i},${j}`);
        cells.add(`${i},${j}`);
      }
  // Grafana's $__rate_interval stands for a range; promtool parses each query as a recording rule.
  const recording = {
    groups: [
      {
        name: "dashboard",
        rules: exprs.map((expr, i) => ({
          record: `dashboard:query_${i}`,
          expr: expr.replaceAll("$__rate_interval", "5m"),
        })),
      },
    ],
  };
  const file = join(work, "dashboard-queries.yaml");
  writeFileSync(file, stringify(recording));
  const { stdout } = await run(bin, ["check", "rules", file]);
  assert.match(stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
});

test("prometheusRule.enabled renders the rules file as it is, with its labels", async () => {
  assert.equal(find(await renderChart(), "PrometheusRule").length, 0, "off by default");
  const objects = await renderChart(["prometheusRule.enabled=true", "prometheusRule.labels.release=kube-prometheus"]);
  const [rule] = find(objects, "PrometheusRule") as KubeObject[];
  assert.equal(rule?.apiVersion, "monitoring.coreos.com/v1");
  assert.equal(rule?.metadata.labels?.release, "kube-prometheus");
  assert.deepEqual(rule?.spec, parse(readFileSync(RULES_FILE, "utf8")));
});

test("grafanaDashboard.enabled renders the dashboard in a ConfigMap the Grafana sidecar picks up", async () => {
  assert.equal(find(await renderChart(), "ConfigMap", "tollgate-dashboard").length, 0, "off by default");
  const objects = await renderChart([
    "grafanaDashboard.enabled=true",
    "grafanaDashboard.annotations.grafana_folder=Tollgate",
    "grafanaDashboard.namespace=monitoring",
  ]);
  const [map] = find(objects, "ConfigMap", "tollgate-dashboard") as (KubeObject & { data: Record<string, string> })[];
  assert.equal(map?.metadata.labels?.grafana_dashboard, "1");
  assert.equal(map?.metadata.annotations?.grafana_folder, "Tollgate");
  assert.equal(map?.metadata.namespace, "monitoring");
  assert.deepEqual(JSON.parse(map?.data["tollgate.json"] ?? ""), JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")));
  const other = await renderChart(["grafanaDashboard.enabled=true", "grafanaDashboard.labels.dashboards=tollgate"]);
  const labels = find(other, "ConfigMap", "tollgate-dashboard")[0]?.metadata.labels;
  assert.equal(labels?.dashboards, "tollgate");
  assert.equal(find(other, "ConfigMap", "tollgate-dashboard")[0]?.metadata.namespace, "tollgate-system");
});

test("the ServiceMonitor honours the per-client namespace label", async () => {
  const [monitor] = find(await renderChart(["serviceMonitor.enabled=true"]), "ServiceMonitor");
  const endpoints = ((monitor as KubeObject).spec as { endpoints: { honorLabels?: boolean }[] }).endpoints;
  assert.ok(endpoints.every((e) => e.honorLabels === true));
});

test("tracing.otlpEndpoint sets the standard OTEL_* variables on both components; off by default", async () => {
  const names = ["tollgate-operator", "tollgate-token-server"];
  for (const name of names) {
    const [off] = find(await renderChart(), "Deployment", name);
    assert.ok(
      ![...envOf(off as KubeObject).keys()].some((k) => k.startsWith("OTEL_")),
      `${name} traces nothing by default`,
    );
  }
  const objects = await renderChart([
    "tracing.otlpEndpoint=http://otel-collector.monitoring:4318",
    "tracing.sampleRatio=0.25",
  ]);
  for (const name of names) {
    const env = envOf(find(objects, "Deployment", name)[0] as KubeObject);
    assert.equal(env.get("OTEL_EXPORTER_OTLP_ENDPOINT")?.value, "http://otel-collector.monitoring:4318");
    assert.equal(env.get("OTEL_SERVICE_NAME")?.value, name);
    assert.equal(env.get("OTEL_TRACES_SAMPLER")?.value, "parentbased_traceidratio");
    assert.equal(env.get("OTEL_TRACES_SAMPLER_ARG")?.value, "0.25");
  }
  await assertRefusedValue(["tracing.sampleRatio=2"], /sampleRatio/);
  await assertRefusedValue(["tracing.otlpEndpoint=otel:4318"], /otlpEndpoint/);
});

async function assertRefusedValue(set: string[], message: RegExp): Promise<void> {
  const args = ["template", "tollgate", CHART_DIR, "--kube-version", "1.36.3", ...set.flatMap((v) => ["--set", v])];
  const { code, output } = await helm(args);
  assert.notEqual(code, 0, `accepted ${set.join(" ")}`);
  assert.match(output, message);
}
