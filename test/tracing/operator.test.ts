// OpenTelemetry traces of the reconcile from the real operator process, on a real API
// server and Redis: with OTEL_EXPORTER_OTLP_ENDPOINT set, a span per reconcile naming the
// object and its result, with the registry write as a child span.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type OtlpReceiver, startOtlpReceiver } from "../harness/otlp-receiver.ts";
import { type ManagedProcess, startProcess, waitFor } from "../harness/processes.ts";
import {
  CLIENT_CREDENTIALS,
  createClient,
  createNamespace,
  ISSUER,
  oauthClient,
  startWorld,
  type World,
  waitForReady,
} from "../operator/support.ts";

const MAIN = join(import.meta.dirname, "..", "..", "operator", "main.ts");
const RECORD_IMPORTS = join(import.meta.dirname, "record-imports.ts");
let world: World;
let receiver: OtlpReceiver;
let operator: ManagedProcess;

before(async () => {
  [world, receiver] = await Promise.all([startWorld(), startOtlpReceiver()]);
  operator = startProcess(process.execPath, ["--import", RECORD_IMPORTS, MAIN], join(world.logDir, "operator.log"), {
    ...process.env,
    TOLLGATE_KUBECONFIG: world.cp.kubeconfigPath,
    TOLLGATE_REDIS_URL: world.redis.url,
    TOLLGATE_ISSUER: ISSUER,
    TOLLGATE_LEADER_ELECT: "false",
    TOLLGATE_METRICS_HOST: "127.0.0.1",
    TOLLGATE_METRICS_PORT: "0",
    TOLLGATE_SIGNING_KEYS_SECRET: "",
    // The client here acts as a subject outside its namespace, as in the other operator tests.
    TOLLGATE_SUBJECT_CONFINEMENT: "false",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: "",
  });
});
after(async () => {
  await operator?.stop();
  await receiver?.stop();
  await world?.stop();
});

test("a reconcile's span reaches the OTLP endpoint, with the registry write as its child", async () => {
  const ns = await createNamespace(world, "traced");
  await createClient(world, oauthClient(ns, "orders", CLIENT_CREDENTIALS));
  await waitForReady(world, ns, "orders");
  await operator.stop(15_000); // SIGTERM flushes the batch
  const spans = await waitFor("the reconcile spans", async () => {
    const found = receiver.spans.filter(
      (s) => s.name === "reconcile oauthclient" && s.attributes["tollgate.object.name"] === "orders",
    );
    return found.length > 0 ? found : undefined;
  });
  assert.deepEqual(receiver.rejected, []);
  for (const span of spans) {
    assert.equal(span.service, "tollgate-operator");
    assert.equal(span.kind, 1, "INTERNAL");
    assert.equal(span.parentSpanId, "", "a reconcile starts its own trace");
    assert.equal(span.attributes["k8s.namespace.name"], ns);
    assert.equal(span.attributes["tollgate.controller"], "oauthclient");
    assert.ok(["success", "requeue_after", "error"].includes(String(span.attributes["tollgate.reconcile.result"])));
  }
  const writes = receiver.spans.filter((s) => s.name === "registry put");
  const parents = new Set(spans.map((s) => s.spanId));
  const child = writes.find((w) => parents.has(w.parentSpanId));
  assert.ok(child, `a registry put under a reconcile of orders: ${JSON.stringify(receiver.spans.map((s) => s.name))}`);
  assert.equal(child.traceId, spans.find((s) => s.spanId === child.parentSpanId)?.traceId);
  const log = await import("node:fs/promises").then((fs) => fs.readFile(operator.logFile, "utf8"));
  assert.match(log, /tracing on/);
});
