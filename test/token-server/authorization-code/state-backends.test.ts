// The flow on the standalone mode's in-memory registry and token state (also with the
// repo's example manifests, as `npm start` loads them), and on a Redis that goes
// away: the authorization endpoint fails closed (middleware/state-outage.ts) with
// temporarily_unavailable at the client once the redirect URI is verified, and works
// again when Redis is back.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { MemoryRegistry } from "../../../registry/memory-registry.ts";
import { KeyRing } from "../../../token-server/key-ring.ts";
import { type RunningTokenServer, startTokenServer } from "../../../token-server/server.ts";
import { loadManifests } from "../../../token-server/standalone.ts";
import { MemoryTokenState } from "../../../token-server/state/memory-state.ts";
import { rememberCredential, testLogger } from "../../harness/log-capture.ts";
import { waitFor } from "../../harness/processes.ts";
import { oauthClient, type Stack, startStack } from "../fixtures.ts";
import { authorizeUrl, codeClient, hiddenFields, PASSWORD, signInAndAllow, USER, UserAgent } from "./support.ts";

let stack: Stack;
let standalone: RunningTokenServer;
let memoryState: MemoryTokenState;
const registry = new MemoryRegistry();
before(async () => {
  stack = await startStack();
  memoryState = new MemoryTokenState();
  standalone = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    registry,
    state: memoryState,
    keys: await KeyRing.generated("ES256"),
    log: testLogger("state-backends", { level: "error" }),
  });
});
after(async () => {
  await standalone?.close();
  await memoryState?.close();
  await stack?.close();
});

async function params(clientId: string) {
  const verifier = oauth.randomPKCECodeVerifier();
  return {
    verifier,
    query: {
      response_type: "code",
      client_id: clientId,
      redirect_uri: "https://app.example/callback",
      state: "st-1",
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    },
  };
}

test("standalone (in-memory registry and state): sign in, consent, exchange, replay refused", async () => {
  const client = codeClient();
  await registry.put(client);
  await waitFor("the client to load", async () => standalone.clients.get(client.clientId));
  const { verifier, query } = await params(client.clientId);
  const callback = await signInAndAllow(new UserAgent(), standalone, authorizeUrl(standalone, query));
  const config = await oauthClient(standalone, client.clientId, oauth.ClientSecretBasic(client.secret));
  const checks = { pkceCodeVerifier: verifier, expectedState: "st-1" };
  const tokens = await oauth.authorizationCodeGrant(config, callback, checks);
  assert.ok(tokens.refresh_token);
  await assert.rejects(
    oauth.authorizationCodeGrant(config, callback, checks),
    (error: Error) => error instanceof oauth.ResponseBodyError && error.error === "invalid_grant",
  );
  assert.equal((await oauth.tokenIntrospection(config, tokens.access_token)).active, false);
});

test("Redis down: temporarily_unavailable at the client, a 503 page for the forms; back when Redis is", async () => {
  const client = codeClient();
  await stack.put(client);
  const agent = new UserAgent();
  const { query } = await params(client.clientId);
  const login = await agent.get(authorizeUrl(stack, query));
  assert.equal(login.status, 200);
  await stack.redis.stop();
  await waitFor("token state to notice", async () => !stack.state.available || undefined);
  const down = await new UserAgent().get(authorizeUrl(stack, query));
  assert.equal(down.status, 303);
  const location = new URL(down.location as string);
  assert.equal(location.searchParams.get("error"), "temporarily_unavailable");
  assert.equal(location.searchParams.get("state"), "st-1");
  const form = await agent.post(`${stack.url}/oauth2/authorize/login`, {
    ...hiddenFields(login.text),
    username: USER,
    password: PASSWORD,
  });
  assert.equal(form.status, 503);
  assert.equal(form.location, undefined);
  assert.match(form.text, /Sign-in is temporarily unavailable/);
  await stack.redis.restart();
  await waitFor("token state to reconnect", async () => stack.state.available || undefined, { timeoutMs: 10_000 });
  const again = await new UserAgent().get(authorizeUrl(stack, query));
  assert.equal(again.status, 200);
  assert.match(again.text, /Sign in/);
});

test("standalone with the repo's examples: the public native-app example signs in its demo user", async () => {
  const log = testLogger("state-backends", { level: "error" });
  const { registry: examples } = await loadManifests(join(import.meta.dirname, "../../../examples"), log);
  const state = new MemoryTokenState();
  const server = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    registry: examples,
    state,
    keys: await KeyRing.generated("ES256"),
    log,
  });
  try {
    const verifier = oauth.randomPKCECodeVerifier();
    const config = await oauthClient(server, "field-service-app", oauth.None());
    // The example registers http://127.0.0.1/oauth2/callback; the app listens wherever it may (RFC 8252 §7.3).
    const url = oauth.buildAuthorizationUrl(config, {
      redirect_uri: "http://127.0.0.1:47011/oauth2/callback",
      scope: "profile jobs:read",
      state: "ex-1",
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    });
    const agent = new UserAgent();
    const login = await agent.get(url.href);
    assert.match(login.text, /to continue to <strong class="client">Field Service App<\/strong>/);
    const signedIn = await agent.post(`${server.url}/oauth2/authorize/login`, {
      ...hiddenFields(login.text),
      username: "carol",
      password: rememberCredential("purple monkey dishwasher"),
    });
    const consent = await agent.get(signedIn.location as string);
    const allowed = await agent.post(`${server.url}/oauth2/authorize/consent`, {
      ...hiddenFields(consent.text),
      decision: "allow",
    });
    const callback = new URL(allowed.location as string);
    assert.equal(callback.origin, "http://127.0.0.1:47011");
    const tokens = await oauth.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: "ex-1",
    });
    assert.match(tokens.access_token, /^tgat_/, "the example asks for opaque access tokens");
    assert.equal((await oauth.tokenIntrospection(config, tokens.access_token)).sub, "carol");
    assert.ok(tokens.refresh_token);
  } finally {
    await server.close();
    await state.close();
  }
});
