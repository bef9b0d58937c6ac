// The management port, as rendered: /healthz, /readyz and /metrics of both components are
// reached by the kubelet's probes and by Prometheus (headless -metrics Services, the
// ServiceMonitor), never through the public Service, the Ingress or the HTTPRoute.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CHART_DIR, envOf, find, HELM_MAJORS, helm, type KubeObject, podSpec, renderChart } from "./render.ts";

type Port = { name?: string; port?: number; targetPort?: string | number; containerPort?: number };
type Probe = { httpGet: { path: string; port: string } };

const servicePorts = (service: KubeObject) => (service.spec as { ports: Port[] }).ports;
const container = (deployment: KubeObject) =>
  podSpec(deployment).containers[0] as unknown as {
    ports: Port[];
    livenessProbe: Probe;
    readinessProbe: Probe;
  };

const PUBLIC = [
  "issuer=https://auth.example.com",
  "ingress.enabled=true",
  "ingress.host=auth.example.com",
  "httpRoute.enabled=true",
  "httpRoute.parentRefs[0].name=public",
  "serviceMonitor.enabled=true",
];

test("the public Service exposes the token port only; probes use the management port", async () => {
  const objects = await renderChart(PUBLIC);
  const [service] = find(objects, "Service", "tollgate-token-server");
  assert.deepEqual(servicePorts(service as KubeObject), [{ name: "http", port: 80, targetPort: "http" }]);
  const [deployment] = find(objects, "Deployment", "tollgate-token-server");
  const c = container(deployment as KubeObject);
  assert.deepEqual(c.ports, [
    { name: "http", containerPort: 8080 },
    { name: "management", containerPort: 9090 },
  ]);
  const env = envOf(deployment as KubeObject);
  assert.equal(env.get("TOLLGATE_PORT")?.value, "8080");
  assert.equal(env.get("TOLLGATE_MANAGEMENT_PORT")?.value, "9090");
  assert.deepEqual(c.livenessProbe.httpGet, { path: "/healthz", port: "management" });
  assert.deepEqual(c.readinessProbe.httpGet, { path: "/readyz", port: "management" });
});

test("the Ingress and the HTTPRoute reach the public Service's token port, nothing else", async () => {
  const objects = await renderChart(PUBLIC);
  const [ingress] = find(objects, "Ingress");
  const paths = (
    (ingress as KubeObject).spec as {
      rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
    }
  ).rules.flatMap((r) => r.http.paths.map((p) => p.backend.service));
  assert.deepEqual(paths, [{ name: "tollgate-token-server", port: { name: "http" } }]);
  const [route] = find(objects, "HTTPRoute");
  const backends = (
    (route as KubeObject).spec as { rules: { backendRefs: { name: string; port: number }[] }[] }
  ).rules.flatMap((r) => r.backendRefs);
  assert.deepEqual(backends, [{ name: "tollgate-token-server", port: 80 }]);
});

test("the ServiceMonitor scrapes the two headless -metrics Services, on the management ports", async () => {
  const objects = await renderChart(PUBLIC);
  const [monitor] = find(objects, "ServiceMonitor");
  const spec = monitor?.spec as { selector: { matchLabels: Record<string, string> }; endpoints: Port[] };
  assert.equal(spec.selector.matchLabels["tollgate.dev/metrics"], "true");
  assert.deepEqual(
    spec.endpoints.map((e) => e.port),
    ["metrics"],
  );
  const selected = find(objects, "Service").filter((s) =>
    Object.entries(spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v),
  );
  assert.deepEqual(selected.map((s) => s.metadata.name).sort(), [
    "tollgate-operator-metrics",
    "tollgate-token-server-metrics",
  ]);
  for (const service of selected) assert.equal((service.spec as { clusterIP?: string }).clusterIP, "None");
  const tokenMetrics = selected.find((s) => s.metadata.name === "tollgate-token-server-metrics") as KubeObject;
  assert.deepEqual(servicePorts(tokenMetrics), [{ name: "metrics", port: 9090, targetPort: "management" }]);
  // The operator's health server (operator/health-server.ts) is on its metrics port, reached by that Service only.
  const operatorMetrics = selected.find((s) => s.metadata.name === "tollgate-operator-metrics") as KubeObject;
  assert.deepEqual(servicePorts(operatorMetrics), [{ name: "metrics", port: 8081, targetPort: "metrics" }]);
  const [operator] = find(objects, "Deployment", "tollgate-operator");
  assert.deepEqual(
    container(operator as KubeObject).ports.map((p) => p.name),
    ["metrics"],
  );
  const nonHeadless = find(objects, "Service").filter((s) => (s.spec as { clusterIP?: string }).clusterIP !== "None");
  for (const service of nonHeadless)
    for (const port of servicePorts(service))
      assert.ok(
        !["metrics", "management"].includes(String(port.targetPort)),
        `${service.metadata.name} exposes ${port.targetPort}`,
      );
});

test("tokenServer.managementPort and metricsClientLimit reach the pod and the metrics Service", async () => {
  const objects = await renderChart(["tokenServer.managementPort=9191", "tokenServer.metricsClientLimit=50"]);
  const [deployment] = find(objects, "Deployment", "tollgate-token-server");
  const env = envOf(deployment as KubeObject);
  assert.equal(env.get("TOLLGATE_MANAGEMENT_PORT")?.value, "9191");
  assert.equal(env.get("TOLLGATE_METRICS_CLIENT_LIMIT")?.value, "50");
  assert.equal(container(deployment as KubeObject).ports[1]?.containerPort, 9191);
  const [metrics] = find(objects, "Service", "tollgate-token-server-metrics");
  assert.equal(servicePorts(metrics as KubeObject)[0]?.port, 9191);
  assert.equal(
    envOf(find(await renderChart(), "Deployment", "tollgate-token-server")[0] as KubeObject).get(
      "TOLLGATE_METRICS_CLIENT_LIMIT",
    )?.value,
    "500",
  );
});

test("a management port equal to the token port is refused", async () => {
  for (const major of HELM_MAJORS) {
    const { code, output } = await helm(
      ["template", "tollgate", CHART_DIR, "--kube-version", "1.36.3", "--set", "tokenServer.managementPort=8080"],
      major,
    );
    assert.notEqual(code, 0);
    assert.match(output, /tokenServer\.managementPort must differ from tokenServer\.port/);
  }
});
