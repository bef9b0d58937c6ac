// OpenTelemetry traces of the token endpoint from the real server process: with the
// standard OTEL_EXPORTER_OTLP_ENDPOINT set, a small OTLP/HTTP receiver gets a server span
// per request that continues the caller's W3C trace, carrying the grant type and the
// authenticated client, with the grant and the issuing as child spans.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../harness/otlp-receiver.ts";
import { type ManagedProcess, startProcess, waitFor } from "../harness/processes.ts";

const MAIN = join(import.meta.dirname, "..", "..", "token-server", "main.ts");
const RECORD_IMPORTS = join(import.meta.dirname, "record-imports.ts");
let receiver: OtlpReceiver;
let dir: string;
const processes: ManagedProcess[] = [];

before(async () => {
  receiver = await startOtlpReceiver();
  dir = await mkdtemp(join(tmpdir(), "tollgate-tracing-"));
});
after(async () => {
  for (const p of processes) await p.stop();
  await receiver.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Starts `npm start`'s server with `env`; returns its printed client_credentials command's parts. */
async function startServer(name: string, env: NodeJS.ProcessEnv) {
  const logFile = join(dir, `${name}.log`);
  const server = startProcess(
    process.execPath,
    ["--import", RECORD_IMPORTS, MAIN, "--standalone", "--port", "0", "--management-port", "0"],
    logFile,
    { ...process.env, ...env },
  );
  processes.push(server);
  const output = await waitFor(
    "the token server to print its clients",
    async () => {
      const text = await readFile(logFile, "utf8").catch(() => "");
      if (server.child.exitCode !== null) throw new Error(`exited:\n${text}`);
      return /-u '[^']+' -d grant_type=client_credentials/.test(text) ? text : undefined;
    },
    { timeoutMs: 30_000 },
  );
  const match = /-u '([^':]+):([^']+)' -d grant_type=client_credentials (http:\S+)/.exec(output);
  assert.ok(match, output);
  const [, id, secret, url] = match as unknown as [string, string, string, string];
  return { server, id, secret, url, output };
}

const tokenRequest = (url: string, id: string, secret: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
      ...headers,
    },
    body: "grant_type=client_credentials",
  });

test("the token endpoint's spans reach the OTLP endpoint: caller's trace, attributes, children", async () => {
  const { server, id, secret, url, output } = await startServer("traced", {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: "",
  });
  assert.match(output, /tracing on/);
  assert.match(output, /resolved .*@opentelemetry\/sdk-trace/, "the SDK is loaded when asked for");
  const traceId = randomBytes(16).toString("hex");
  const parentId = randomBytes(8).toString("hex");
  const ok = await tokenRequest(url, id, secret, { traceparent: `00-${traceId}-${parentId}-01` });
  assert.equal(ok.status, 200);
  const refused = await tokenRequest(url, id, "wrong-secret");
  assert.equal(refused.status, 401);
  // SIGTERM flushes what the batch processor holds.
  await server.stop(15_000);

  const spans = await waitFor("the spans", async () => (receiver.spans.length >= 4 ? receiver.spans : undefined));
  assert.deepEqual(receiver.rejected, []);
  for (const span of spans) assert.equal(span.service, "tollgate-token-server");
  const serverSpans = spans.filter((s) => s.name === "POST /oauth2/token");
  assert.equal(serverSpans.length, 2);
  const traced = serverSpans.find((s) => s.traceId === traceId) as ReceivedSpan;
  assert.ok(traced, "the span continues the caller's trace");
  assert.equal(traced.parentSpanId, parentId);
  assert.equal(traced.kind, 2, "SERVER");
  assert.equal(traced.attributes["oauth2.grant_type"], "client_credentials");
  assert.equal(traced.attributes["oauth2.client_id"], id);
  assert.equal(traced.attributes["http.response.status_code"], 200);
  assert.equal(traced.attributes["tollgate.outcome"], "ok");
  const children = spans.filter((s) => s.parentSpanId === traced.spanId);
  assert.deepEqual(children.map((s) => s.name).sort(), ["grant client_credentials", "issue tokens"]);
  for (const child of children) assert.equal(child.traceId, traceId);

  const failed = serverSpans.find((s) => s !== traced) as ReceivedSpan;
  assert.notEqual(failed.traceId, traceId, "no traceparent: a new trace");
  assert.equal(failed.parentSpanId, "");
  assert.equal(failed.attributes["tollgate.outcome"], "invalid_client");
  assert.equal(failed.attributes["oauth2.client_id"], undefined, "only an authenticated client is named");
  assert.equal(failed.attributes["http.response.status_code"], 401);
  // Nothing secret in any attribute.
  assert.doesNotMatch(JSON.stringify(spans), new RegExp(secret));
});

test("off by default: without OTEL_EXPORTER_OTLP_ENDPOINT nothing is sent and the SDK is not loaded", async () => {
  const before = receiver.spans.length;
  const { server, id, secret, url, output } = await startServer("untraced", {
    OTEL_EXPORTER_OTLP_ENDPOINT: "",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
  });
  assert.doesNotMatch(output, /tracing on/);
  // The API alone (a no-op without an SDK) is loaded by node-redis anyway; the SDK is not.
  assert.doesNotMatch(output, /@opentelemetry\/(sdk-|exporter-|otlp-|resources|core)/, "the SDK is not loaded");
  assert.equal((await tokenRequest(url, id, secret)).status, 200);
  await server.stop(15_000);
  assert.equal(receiver.spans.length, before);
});
