// When tracing is on (common/tracing.ts): the OpenTelemetry SDK's own variables decide,
// and off, every span is a no-op that loads nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  currentSpan,
  NO_TRACING,
  runInSpan,
  startTracing,
  tracedMethods,
  tracingRequested,
} from "../../../common/tracing.ts";

test("tracing is requested by an OTLP endpoint variable, unless the SDK or the exporter is switched off", () => {
  const cases: [NodeJS.ProcessEnv, boolean][] = [
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_TRACES_EXPORTER: "none" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_TRACES_EXPORTER: "otlp" }, true],
  ];
  for (const [env, expected] of cases) assert.equal(tracingRequested(env), expected, JSON.stringify(env));
});

test("not requested: the no-op tracing, whose spans do nothing", async () => {
  const tracing = await startTracing("test", {});
  assert.equal(tracing, NO_TRACING);
  const span = tracing.start("x", { kind: "server", headers: { traceparent: "garbage" } });
  span.setAttributes({ a: 1 });
  span.child("y").end();
  span.end();
  await tracing.shutdown();
});

test("tracedMethods: a child span per named method call under the current span; other members pass through", async () => {
  const names: string[] = [];
  const failed: string[] = [];
  const parent = {
    setAttributes() {},
    fail() {},
    end() {},
    child(name: string) {
      names.push(name);
      return { setAttributes() {}, fail: (m: string) => failed.push(m), end() {}, child: () => parent };
    },
  };
  class Store {
    #hits = 0;
    get hits() {
      return this.#hits;
    }
    async put(value: string) {
      this.#hits += 1;
      if (value === "bad") throw new Error("refused");
      return value.toUpperCase();
    }
    async get() {
      return this.#hits;
    }
  }
  const store = tracedMethods(new Store(), "registry", ["put"]);
  assert.equal(await store.put("outside"), "OUTSIDE", "no current span: no child");
  assert.deepEqual(names, []);
  await runInSpan(parent, async () => {
    assert.equal(currentSpan(), parent);
    assert.equal(await store.put("a"), "A");
    await assert.rejects(store.put("bad"), /refused/);
    assert.equal(await store.get(), 3);
  });
  assert.deepEqual(names, ["registry put", "registry put"]);
  assert.deepEqual(failed, ["refused"]);
  assert.equal(store.hits, 3, "getters reach the private state");
});
