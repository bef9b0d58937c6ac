// RFC 8414 metadata, the JWKS, health, readiness and Prometheus metrics.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import type { RegistryReader } from "../../registry/record.ts";
import { grants } from "../../token-server/grants/index.ts";
import { KeyRing } from "../../token-server/key-ring.ts";
import { startTokenServer } from "../../token-server/server.ts";
import { MemoryTokenState } from "../../token-server/state/memory-state.ts";
import { testLogger } from "../harness/log-capture.ts";

// Every algorithm client authentication accepts (test/unit/token-server/hardening.test.ts signs with each).
const ASSERTION_ALGS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

import { basic, clientRecord, oauthClient, post, type Stack, startStack } from "./fixtures.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test("metadata at both well-known URLs, naming what the server does; the OpenID one adds only OpenID fields", async () => {
  const a = await (await fetch(`${stack.url}/.well-known/oauth-authorization-server`)).json();
  const b = (await (await fetch(`${stack.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  // Every RFC 8414 member is in the OpenID document unchanged (openid-connect/discovery.test.ts checks the rest).
  assert.deepEqual(Object.fromEntries(Object.keys(a as object).map((member) => [member, b[member]])), a);
  for (const member of ["userinfo_endpoint", "end_session_endpoint", "id_token_signing_alg_values_supported"])
    assert.equal((a as Record<string, unknown>)[member], undefined, member);
  assert.ok((a as { grant_types_supported: string[] }).grant_types_supported.includes("client_credentials"));
  assert.ok(
    Array.isArray((a as { response_types_supported: unknown }).response_types_supported),
    "RFC 8414 requires it",
  );
  // The members this server's client-credentials side owns; other endpoints add their own.
  const expected: Record<string, unknown> = {
    issuer: stack.url,
    token_endpoint: `${stack.url}/oauth2/token`,
    jwks_uri: `${stack.url}/oauth2/jwks`,
    introspection_endpoint: `${stack.url}/oauth2/introspect`,
    revocation_endpoint: `${stack.url}/oauth2/revoke`,
    // Every grant module registered.
    grant_types_supported: [...grants.keys()],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_methods_supported: [
      "client_secret_basic",
      "client_secret_post",
      "private_key_jwt",
      "none",
    ],
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    revocation_endpoint_auth_methods_supported: [
      "client_secret_basic",
      "client_secret_post",
      "private_key_jwt",
      "none",
    ],
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    access_token_signing_alg_values_supported: ["ES256", "EdDSA", "RS256", "PS256"],
  };
  for (const [member, value] of Object.entries(expected))
    assert.deepEqual((a as Record<string, unknown>)[member], value, member);
  // openid-client accepts it (it checks the issuer matches).
  const config = await oauthClient(stack, "x", oauth.ClientSecretBasic("y"));
  assert.equal(config.serverMetadata().issuer, stack.url);
});

test("the JWKS publishes public keys only, as application/jwk-set+json", async () => {
  const response = await fetch(`${stack.url}/oauth2/jwks`);
  assert.equal(response.headers.get("content-type"), "application/jwk-set+json");
  const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
  assert.equal(keys.length, 1);
  assert.equal(keys[0]?.kty, "EC");
  assert.equal(keys[0]?.alg, "ES256");
  assert.equal(keys[0]?.use, "sig");
  assert.equal("d" in (keys[0] ?? {}), false);
});

test("the public port answers /metrics, /healthz and /readyz 404; the management port serves them", async () => {
  assert.notEqual(new URL(stack.managementUrl).port, new URL(stack.url).port);
  for (const path of ["/metrics", "/healthz", "/readyz"]) {
    const publicResponse = await fetch(`${stack.url}${path}`);
    assert.equal(publicResponse.status, 404, `public ${path}`);
    assert.doesNotMatch(await publicResponse.text(), /tollgate_|registry|signingKeys/, `public ${path} leaks nothing`);
    assert.equal((await fetch(`${stack.managementUrl}${path}`)).status, 200, `management ${path}`);
  }
  // And the other way round: the management port serves nothing of the OAuth surface.
  assert.equal((await fetch(`${stack.managementUrl}/oauth2/jwks`)).status, 404);
  assert.equal((await fetch(`${stack.managementUrl}/.well-known/oauth-authorization-server`)).status, 404);
});

test("healthz and readyz", async () => {
  const health = await fetch(`${stack.managementUrl}/healthz`);
  assert.equal(health.status, 200);
  const ready = await fetch(`${stack.managementUrl}/readyz`);
  assert.equal(ready.status, 200);
  const body = (await ready.json()) as Record<string, string>;
  assert.equal(body.status, "ready");
  assert.equal(body.signingKeys, "present");
  assert.equal(body.tokenState, "available");
});

test("readyz is 503 while the registry has not loaded", async () => {
  const unreachable: RegistryReader = {
    snapshot: () => Promise.reject(new Error("registry unreachable")),
    subscribe: () => Promise.reject(new Error("registry unreachable")),
    get: () => Promise.reject(new Error("registry unreachable")),
  };
  const state = new MemoryTokenState();
  const running = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    registry: unreachable,
    state,
    keys: await KeyRing.generated("ES256"),
    log: testLogger("discovery-and-operations", { level: "error" }),
  });
  try {
    const ready = await fetch(`${running.managementUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { registry: string }).registry, "not loaded");
  } finally {
    await running.close();
    await state.close();
  }
});

test("metrics: requests by endpoint, grant type and outcome, and a latency histogram", async () => {
  const client = clientRecord();
  await stack.put(client);
  const form = { "content-type": "application/x-www-form-urlencoded" };
  for (let i = 0; i < 3; i++)
    await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
      ...form,
      authorization: basic(client.clientId, client.secret),
    });
  await post(`${stack.url}/oauth2/token`, "grant_type=client_credentials&scope=nope", {
    ...form,
    authorization: basic(client.clientId, client.secret),
  });
  const response = await fetch(`${stack.managementUrl}/metrics`);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.match(
    text,
    /^tollgate_token_server_requests_total\{endpoint="token",grant_type="client_credentials",outcome="ok"\} 3$/m,
  );
  assert.match(
    text,
    /^tollgate_token_server_requests_total\{endpoint="token",grant_type="client_credentials",outcome="invalid_scope"\} 1$/m,
  );
  assert.match(text, /^tollgate_token_server_request_duration_seconds_count\{endpoint="token"\} 4$/m);
  assert.match(text, /^tollgate_token_server_request_duration_seconds_bucket\{le="0\.005",endpoint="token"\} \d+$/m);
  assert.match(text, /^tollgate_token_server_registry_clients \d+$/m);
});
