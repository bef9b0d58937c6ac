// Request counts kept in plain numbers (token-server/metric-tallies.ts) must read exactly
// as prom-client's own inc() would have made them, at every scrape, and a removed client
// must lose its series.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter, Registry } from "prom-client";
import { Tallies } from "../../../token-server/metric-tallies.ts";
import { createMetrics } from "../../../token-server/metrics.ts";

function counterWithTallies() {
  const registry = new Registry();
  const counter: Counter<"endpoint" | "grant_type" | "outcome"> = new Counter({
    name: "requests_total",
    help: "h",
    labelNames: ["endpoint", "grant_type", "outcome"],
    registers: [registry],
    collect() {
      tallies.flush();
    },
  });
  const tallies = new Tallies(counter, ["endpoint", "grant_type", "outcome"]);
  const values = async () =>
    Object.fromEntries(
      (await counter.get()).values.map((v) => [
        `${v.labels.endpoint}/${v.labels.grant_type}/${v.labels.outcome}`,
        v.value,
      ]),
    );
  return { registry, counter, tallies, values };
}

test("tallies read as inc() would: per label combination, across reads, beside direct inc() calls", async () => {
  const { counter, tallies, values } = counterWithTallies();
  assert.deepEqual(await values(), {});
  for (let i = 0; i < 3; i++) tallies.add("token", "client_credentials", "ok");
  tallies.add("token", "client_credentials", "invalid_client");
  tallies.add("token", "", "invalid_request");
  tallies.add("introspect", "", "ok");
  counter.inc({ endpoint: "token", grant_type: "client_credentials", outcome: "ok" });
  const first = {
    "token/client_credentials/ok": 4,
    "token/client_credentials/invalid_client": 1,
    "token//invalid_request": 1,
    "introspect//ok": 1,
  };
  assert.deepEqual(await values(), first);
  assert.deepEqual(await values(), first, "a second read adds nothing");
  tallies.add("token", "client_credentials", "ok");
  assert.deepEqual(await values(), { ...first, "token/client_credentials/ok": 5 });
});

test("the text exposition shows the tallied counts", async () => {
  const { registry, tallies } = counterWithTallies();
  tallies.add("token", "client_credentials", "ok");
  tallies.add("token", "client_credentials", "ok");
  assert.match(
    await registry.metrics(),
    /^requests_total\{endpoint="token",grant_type="client_credentials",outcome="ok"\} 2$/m,
  );
});

test("remove drops the first label value's series, counted or still pending, and only those", async () => {
  const { tallies, values } = counterWithTallies();
  tallies.add("a", "x", "ok");
  tallies.add("b", "x", "ok");
  assert.deepEqual(await values(), { "a/x/ok": 1, "b/x/ok": 1 });
  tallies.add("a", "y", "ok");
  tallies.remove("a");
  assert.deepEqual(await values(), { "b/x/ok": 1 });
  tallies.add("a", "x", "ok");
  assert.deepEqual(await values(), { "a/x/ok": 1, "b/x/ok": 1 }, "a client back in the registry starts again");
});

test("server metrics: requests and per-client series through the tallies; a client gone from the registry loses its series", async () => {
  const registered = new Set(["orders", "billing"]);
  const metrics = createMetrics({ isRegistered: (id) => registered.has(id), clientLimit: 1 });
  metrics.request("token", "client_credentials", "ok");
  metrics.request("token", "client_credentials", "ok");
  metrics.clientRequest("orders", "token", "ok");
  metrics.clientRequest("orders", "token", "ok");
  metrics.clientRequest("billing", "token", "invalid_client");
  metrics.clientRequest(undefined, "token", "invalid_client");
  const text = await metrics.registry.metrics();
  assert.match(
    text,
    /^tollgate_token_server_requests_total\{endpoint="token",grant_type="client_credentials",outcome="ok"\} 2$/m,
  );
  assert.match(
    text,
    /^tollgate_token_server_client_requests_total\{client_id="orders",endpoint="token",outcome="ok"\} 2$/m,
  );
  assert.match(
    text,
    /^tollgate_token_server_client_requests_total\{client_id="other",endpoint="token",outcome="invalid_client"\} 1$/m,
  );
  assert.match(
    text,
    /^tollgate_token_server_client_requests_total\{client_id="unauthenticated",endpoint="token",outcome="invalid_client"\} 1$/m,
  );
  registered.delete("orders");
  const after = await metrics.registry.metrics();
  assert.doesNotMatch(after, /client_id="orders"/);
  assert.match(after, /client_id="other"/);
  // Its place is free again: the next client gets a series of its own.
  registered.add("billing");
  metrics.clientRequest("billing", "token", "ok");
  assert.match(
    await metrics.registry.metrics(),
    /^tollgate_token_server_client_requests_total\{client_id="billing",endpoint="token",outcome="ok"\} 1$/m,
  );
});
