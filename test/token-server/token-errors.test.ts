// Every error path of the token endpoint: exact status, headers and RFC 6749 §5.2 body.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { waitFor } from "../harness/processes.ts";
import { basic, clientRecord, post, type Stack, startStack } from "./fixtures.ts";

let stack: Stack;
let client: ReturnType<typeof clientRecord>;
let postClient: ReturnType<typeof clientRecord>;
const FORM = { "content-type": "application/x-www-form-urlencoded" };

before(async () => {
  stack = await startStack({ maxBodyBytes: 1024 });
  client = clientRecord();
  postClient = clientRecord({ tokenEndpointAuthMethod: "client_secret_post" });
  await stack.put(client);
  await stack.put(postClient);
});
after(async () => {
  await stack?.close();
});

type Response = Awaited<ReturnType<typeof post>>;

function assertError(
  response: Response,
  status: number,
  error: string,
  description: string | RegExp,
  { basicChallenge = false } = {},
): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(response.headers.get("pragma"), "no-cache");
  assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(response.headers.get("www-authenticate"), basicChallenge ? 'Basic realm="tollgate"' : null);
  const body = response.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ["error", "error_description"]);
  assert.equal(body.error, error);
  if (typeof description === "string") assert.equal(body.error_description, description);
  else assert.match(body.error_description as string, description);
}

const token = (body: string, headers: Record<string, string> = {}) =>
  post(`${stack.url}/oauth2/token`, body, { ...FORM, ...headers });
const asClient = (body: string) => token(body, { authorization: basic(client.clientId, client.secret) });

test("unknown client (Basic): 401 invalid_client with a Basic challenge", async () => {
  const response = await token("grant_type=client_credentials", { authorization: basic("nobody", "x") });
  assertError(response, 401, "invalid_client", "client authentication failed", { basicChallenge: true });
});

test("unknown client (client_secret_post): 401 invalid_client without a challenge", async () => {
  const response = await token("grant_type=client_credentials&client_id=nobody&client_secret=x");
  assertError(response, 401, "invalid_client", "client authentication failed");
});

test("wrong secret: 401 invalid_client", async () => {
  const response = await token("grant_type=client_credentials", { authorization: basic(client.clientId, "wrong") });
  assertError(response, 401, "invalid_client", "client authentication failed", { basicChallenge: true });
});

test("wrong method: a client_secret_post client using Basic is refused, and the reverse", async () => {
  const viaBasic = await token("grant_type=client_credentials", {
    authorization: basic(postClient.clientId, postClient.secret),
  });
  assertError(
    viaBasic,
    401,
    "invalid_client",
    "this client must authenticate with client_secret_post, not client_secret_basic",
    {
      basicChallenge: true,
    },
  );
  const viaPost = await token(
    `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${encodeURIComponent(client.secret)}`,
  );
  assertError(
    viaPost,
    401,
    "invalid_client",
    "this client must authenticate with client_secret_basic, not client_secret_post",
  );
});

test("two authentication mechanisms in one request: 400 invalid_request", async () => {
  const response = await token(`grant_type=client_credentials&client_secret=${encodeURIComponent(client.secret)}`, {
    authorization: basic(client.clientId, client.secret),
  });
  assertError(response, 400, "invalid_request", "client authentication must use only one mechanism");
});

test("no client authentication: 401 invalid_client", async () => {
  assertError(await token("grant_type=client_credentials"), 401, "invalid_client", "no client authentication included");
});

test("a non-Basic Authorization scheme: 401 invalid_client with a Basic challenge", async () => {
  const response = await token("grant_type=client_credentials", { authorization: "Bearer abc" });
  assertError(response, 401, "invalid_client", "the Authorization header must use the Basic scheme", {
    basicChallenge: true,
  });
});

test("unsupported grant type: 400 unsupported_grant_type", async () => {
  assertError(
    await asClient("grant_type=urn:example:made-up"),
    400,
    "unsupported_grant_type",
    "grant_type 'urn:example:made-up' is not supported",
  );
});

test("missing grant_type: 400 invalid_request", async () => {
  assertError(await asClient("scope=orders.read"), 400, "invalid_request", "the 'grant_type' parameter is required");
});

test("grant type not allowed for the client: 400 unauthorized_client", async () => {
  const other = clientRecord({ grantTypes: ["authorization_code"] });
  await stack.put(other);
  const response = await token("grant_type=client_credentials", { authorization: basic(other.clientId, other.secret) });
  assertError(response, 400, "unauthorized_client", "this client may not use grant_type 'client_credentials'");
});

test("invalid scope: 400 invalid_scope naming the scope", async () => {
  assertError(
    await asClient("grant_type=client_credentials&scope=orders.read+admin"),
    400,
    "invalid_scope",
    "this client may not request scope 'admin'",
  );
});

test("malformed scope: 400 invalid_request", async () => {
  assertError(
    await asClient("grant_type=client_credentials&scope=orders.read++"),
    400,
    "invalid_request",
    "scope must be space-delimited scope tokens (RFC 6749 section 3.3)",
  );
});

test("resource not allowed, or not an absolute URI: 400 invalid_target (RFC 8707)", async () => {
  assertError(
    await asClient("grant_type=client_credentials&resource=https%3A%2F%2Fother.example"),
    400,
    "invalid_target",
    "this client may not request a token for 'https://other.example'",
  );
  assertError(
    await asClient("grant_type=client_credentials&resource=orders"),
    400,
    "invalid_target",
    "resource must be an absolute URI without a fragment (RFC 8707 section 2)",
  );
});

test("duplicate parameter: 400 invalid_request", async () => {
  assertError(
    await asClient("grant_type=client_credentials&scope=orders.read&scope=orders.write"),
    400,
    "invalid_request",
    "the 'scope' parameter must not be repeated",
  );
  assertError(
    await asClient("grant_type=client_credentials&grant_type=client_credentials"),
    400,
    "invalid_request",
    "the 'grant_type' parameter must not be repeated",
  );
});

test("oversized body: 413 invalid_request", async () => {
  const response = await asClient(`grant_type=client_credentials&pad=${"x".repeat(2000)}`);
  assertError(response, 413, "invalid_request", "the request body is larger than 1024 bytes");
});

test("oversized body sent chunked (no Content-Length) is cut off too", async () => {
  const chunks = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(`p${i}=${"y".repeat(300)}&`));
      controller.close();
    },
  });
  const response = await fetch(`${stack.url}/oauth2/token`, {
    method: "POST",
    headers: { ...FORM, authorization: basic(client.clientId, client.secret) },
    body: chunks,
    duplex: "half",
  } as RequestInit);
  const text = await response.text();
  assertError(
    { status: response.status, headers: response.headers, body: JSON.parse(text), text },
    413,
    "invalid_request",
    "the request body is larger than 1024 bytes",
  );
});

test("malformed body: bad percent-encoding, invalid UTF-8, empty names: 400 invalid_request", async () => {
  assertError(
    await asClient("grant_type=client_credentials&scope=%zz"),
    400,
    "invalid_request",
    "the request body is malformed",
  );
  assertError(
    await asClient("grant_type=client_credentials&scope=%C3"),
    400,
    "invalid_request",
    "the request body is malformed",
  );
  assertError(
    await asClient("=x&grant_type=client_credentials"),
    400,
    "invalid_request",
    "the request body is malformed",
  );
  const rawBytes = Buffer.concat([Buffer.from("grant_type=client_credentials&scope="), Buffer.from([0xff, 0xfe])]);
  const response = await post(`${stack.url}/oauth2/token`, rawBytes, {
    ...FORM,
    authorization: basic(client.clientId, client.secret),
  });
  assertError(response, 400, "invalid_request", "the request body is not valid UTF-8");
});

test("wrong content type: JSON, none, or a non-UTF-8 charset: 400 invalid_request", async () => {
  const json = await post(`${stack.url}/oauth2/token`, JSON.stringify({ grant_type: "client_credentials" }), {
    "content-type": "application/json",
    authorization: basic(client.clientId, client.secret),
  });
  assertError(json, 400, "invalid_request", "the request body must be application/x-www-form-urlencoded");
  const none = await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    authorization: basic(client.clientId, client.secret),
    "content-type": "",
  });
  assertError(none, 400, "invalid_request", "the request body must be application/x-www-form-urlencoded");
  const latin1 = await token("grant_type=client_credentials", {
    "content-type": "application/x-www-form-urlencoded; charset=iso-8859-1",
    authorization: basic(client.clientId, client.secret),
  });
  assertError(latin1, 400, "invalid_request", "the request body must be UTF-8");
  const utf8 = await token("grant_type=client_credentials", {
    "content-type": "application/x-www-form-urlencoded; charset=UTF-8",
    authorization: basic(client.clientId, client.secret),
  });
  assert.equal(utf8.status, 200);
});

test("disabled client: 401 invalid_client, after its credentials are checked", async () => {
  const disabled = clientRecord({ disabled: true });
  await stack.put(disabled);
  assertError(
    await token("grant_type=client_credentials", { authorization: basic(disabled.clientId, disabled.secret) }),
    401,
    "invalid_client",
    "the client is disabled",
    { basicChallenge: true },
  );
  assertError(
    await token("grant_type=client_credentials", { authorization: basic(disabled.clientId, "wrong") }),
    401,
    "invalid_client",
    "client authentication failed",
    { basicChallenge: true },
  );
});

test("a public client may not use client_credentials: 400 unauthorized_client", async () => {
  const pub = clientRecord({ clientType: "public", tokenEndpointAuthMethod: "none", secrets: [] });
  await stack.put(pub);
  assertError(
    await token(`grant_type=client_credentials&client_id=${pub.clientId}`),
    400,
    "unauthorized_client",
    "the client_credentials grant is for confidential clients only",
  );
});

test("GET on the token endpoint: 405 with Allow: POST", async () => {
  const response = await fetch(`${stack.url}/oauth2/token`);
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "POST");
});

test("client_id in the body that differs from the Basic one: 400 invalid_request", async () => {
  assertError(
    await asClient("grant_type=client_credentials&client_id=someone-else"),
    400,
    "invalid_request",
    "client_id in the body does not match the Authorization header",
  );
});

test("a client that goes away mid-body does not leave the request hanging", async () => {
  const metric = async () => {
    const text = await (await fetch(`${stack.managementUrl}/metrics`)).text();
    const line =
      /^tollgate_token_server_requests_total\{endpoint="token",grant_type="",outcome="invalid_request"\} (\d+)$/m.exec(
        text,
      );
    return Number(line?.[1] ?? 0);
  };
  const before = await metric();
  const { port } = new URL(stack.url);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(
    `POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: ${basic(client.clientId, client.secret)}\r\nContent-Length: 500\r\n\r\ngrant_type=client_credentials&scope=`,
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.destroy();
  await waitFor("the abandoned request to finish", async () => (await metric()) === before + 1 || undefined, {
    timeoutMs: 5000,
  });
});
