// The operator's metrics as Prometheus scrapes them, on a real API server and Redis:
// controller-runtime's reconcile and workqueue families, and the per-OAuthClient series
// alerts use (Ready per condition, last and next rotation, secret age), gone once the
// resource is deleted.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "../harness/processes.ts";
import {
  CLIENT_CREDENTIALS,
  createClient,
  createNamespace,
  deleteClient,
  metricsText,
  type OperatorWorld,
  oauthClient,
  startOperatorWorld,
  waitForGone,
  waitForReady,
  waitForReason,
} from "./support.ts";

let world: OperatorWorld;

before(async () => {
  world = await startOperatorWorld({ signingKeysSecret: "tollgate-signing-keys", signingKeyRotationMs: 3_600_000 });
});
after(() => world?.stop());

function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test("controller-runtime's reconcile and workqueue families, by controller and queue name", async () => {
  const ns = await createNamespace(world, "queue");
  await createClient(world, oauthClient(ns, "one", CLIENT_CREDENTIALS));
  await waitForReady(world, ns, "one");
  const text = await metricsText(world.operator.port);
  for (const name of ["oauthclient", "signing-keys"]) {
    assert.ok((value(text, `workqueue_adds_total{name="${name}"}`) ?? 0) >= 1, `${name} adds`);
    assert.ok((value(text, `workqueue_queue_duration_seconds_count{name="${name}"}`) ?? 0) >= 1, `${name} queue`);
    assert.ok((value(text, `workqueue_work_duration_seconds_count{name="${name}"}`) ?? 0) >= 1, `${name} work`);
    assert.equal(value(text, `workqueue_depth{name="${name}"}`), 0, `${name} depth`);
    assert.equal(value(text, `workqueue_retries_total{name="${name}"}`), 0, `${name} retries`);
    assert.ok(value(text, `workqueue_unfinished_work_seconds{name="${name}"}`) !== undefined, `${name} unfinished`);
    assert.ok(value(text, `workqueue_longest_running_processor_seconds{name="${name}"}`) !== undefined);
    assert.equal(value(text, `controller_runtime_reconcile_errors_total{controller="${name}"}`), 0);
  }
  assert.ok((value(text, 'controller_runtime_reconcile_total{controller="oauthclient",result="success"}') ?? 0) >= 1);
});

test("the requests it sends to the API server, by method (client-go's rest_client_requests_total)", async () => {
  const before = await metricsText(world.operator.port);
  assert.ok((value(before, 'rest_client_requests_total{method="GET"}') ?? 0) >= 1, "its lists and watches count");
  const ns = await createNamespace(world, "requests");
  await createClient(world, oauthClient(ns, "counted", CLIENT_CREDENTIALS));
  await waitForReady(world, ns, "counted");
  const after = await metricsText(world.operator.port);
  const grew = (method: string) =>
    (value(after, `rest_client_requests_total{method="${method}"}`) ?? 0) -
    (value(before, `rest_client_requests_total{method="${method}"}`) ?? 0);
  assert.ok(grew("POST") >= 1, "the credentials Secret was created");
  assert.ok(grew("PATCH") >= 1, "the status was patched");
});

test("per client: Ready per condition, last and next rotation, secret age; removed on delete", async () => {
  const ns = await createNamespace(world, "client");
  await createClient(
    world,
    oauthClient(ns, "rotating", { ...CLIENT_CREDENTIALS, credentials: { rotation: { every: "24h" } } }),
  );
  const ready = await waitForReady(world, ns, "rotating");
  const labels = `namespace="${ns}",name="rotating"`;
  const text = await metricsText(world.operator.port);
  assert.equal(value(text, `tollgate_oauthclient_ready_status{${labels},condition="True"}`), 1);
  assert.equal(value(text, `tollgate_oauthclient_ready_status{${labels},condition="False"}`), 0);
  assert.equal(value(text, `tollgate_oauthclient_ready_status{${labels},condition="Unknown"}`), 0);
  for (const type of ["Ready", "ClientIdAvailable", "CredentialsReady", "SecretReady", "RegistryReady"])
    assert.equal(value(text, `tollgate_oauthclient_status_condition{${labels},type="${type}",status="True"}`), 1, type);
  const rotatedAt = Date.parse(ready.status?.secretRotatedAt ?? "") / 1000;
  assert.equal(value(text, `tollgate_oauthclient_secret_rotation_timestamp_seconds{${labels}}`), rotatedAt);
  assert.equal(
    value(text, `tollgate_oauthclient_secret_next_rotation_timestamp_seconds{${labels}}`),
    rotatedAt + 86_400,
  );
  const age = value(text, `tollgate_oauthclient_secret_age_seconds{${labels}}`) ?? -1;
  assert.ok(age >= 0 && age < 120, `age ${age}`);

  await deleteClient(world, ns, "rotating");
  await waitForGone(world, ns, "rotating");
  await waitFor(
    "its series to go",
    async () => !(await metricsText(world.operator.port)).includes(labels) || undefined,
  );
});

test("a client that is not Ready: condition False, with its failing stage", async () => {
  const ns = await createNamespace(world, "waiting");
  await createClient(
    world,
    oauthClient(ns, "legacy", {
      ...CLIENT_CREDENTIALS,
      credentials: { source: "adopt", secretName: "missing", keys: { clientSecret: "password" } },
    }),
  );
  await waitForReason(world, ns, "legacy", "Ready", "WaitingForSecret");
  const labels = `namespace="${ns}",name="legacy"`;
  const text = await metricsText(world.operator.port);
  assert.equal(value(text, `tollgate_oauthclient_ready_status{${labels},condition="False"}`), 1);
  assert.equal(value(text, `tollgate_oauthclient_ready_status{${labels},condition="True"}`), 0);
  assert.equal(
    value(text, `tollgate_oauthclient_status_condition{${labels},type="CredentialsReady",status="False"}`),
    1,
  );
  assert.equal(value(text, `tollgate_oauthclient_secret_age_seconds{${labels}}`), undefined, "no secret yet");
});

test("the signing keys: last and next rotation", async () => {
  const text = await waitFor("the signing keys series", async () => {
    const now = await metricsText(world.operator.port);
    return value(now, "tollgate_signing_keys_rotation_timestamp_seconds") === undefined ? undefined : now;
  });
  const rotated = value(text, "tollgate_signing_keys_rotation_timestamp_seconds") ?? 0;
  assert.ok(Math.abs(Date.now() / 1000 - rotated) < 300, `rotated ${rotated}`);
  assert.equal(value(text, "tollgate_signing_keys_next_rotation_timestamp_seconds"), rotated + 3600);
});
