// What an investigation finds in the logs: every refusal names the request (its id is
// echoed to the client), the client it claimed to be, and where it came from, and
// carries nothing the client sent as a credential.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { basic, clientRecord, post, type Stack, startStack } from "./fixtures.ts";

let stack: Stack;
let client: ReturnType<typeof clientRecord>;
const FORM = { "content-type": "application/x-www-form-urlencoded" };

before(async () => {
  stack = await startStack();
  client = clientRecord();
  await stack.put(client);
});
after(async () => {
  await stack?.close();
});

function refusalLine(requestId: string): Record<string, unknown> {
  const lines = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  const line = lines.find((entry) => entry.request_id === requestId);
  assert.ok(line, `a log line for request ${requestId}`);
  return line;
}

test("a refused client_secret_basic request logs its request id, client_id and source address, never the secret", async () => {
  const wrongSecret = "wrong-secret-value-0123456789";
  const response = await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    ...FORM,
    authorization: basic(client.clientId, wrongSecret),
  });
  assert.equal(response.status, 401);
  const requestId = response.headers.get("x-request-id") ?? "";
  assert.match(requestId, /^[0-9a-f-]{36}$/);
  const line = refusalLine(requestId);
  assert.equal(line.msg, "request refused");
  assert.equal(line.error, "invalid_client");
  assert.equal(line.client_id, client.clientId);
  assert.equal(line.source, "127.0.0.1");
  assert.equal(line.endpoint, "token");
  assert.ok(!stack.logs.join("").includes(wrongSecret));
});

test("a plain request id from a proxy is kept; one that could forge log text is replaced", async () => {
  const kept = await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    ...FORM,
    "x-request-id": "edge-42.a:b_c",
  });
  assert.equal(kept.headers.get("x-request-id"), "edge-42.a:b_c");
  assert.equal(refusalLine("edge-42.a:b_c").error, "invalid_client");

  const forged = await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    ...FORM,
    "x-request-id": '1", "level": "fatal',
  });
  assert.match(forged.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
});

test("successful responses carry a request id too", async () => {
  const response = await fetch(`${stack.url}/oauth2/jwks`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
});
