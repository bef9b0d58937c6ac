// Errors of a request whose client and redirect URI are verified: redirected back to
// the client with error, error_description, state and iss (RFC 6749 §4.1.2.1, RFC
// 9207), PKCE S256 required and plain refused (RFC 7636, RFC 9700 §2.1.1), prompt=none,
// and the metadata that advertises all of it (RFC 8414).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { oauthClient, type Stack, startStack } from "../fixtures.ts";
import { authorizeUrl, codeClient, hiddenFields, PASSWORD, signInAndAllow, USER, UserAgent } from "./support.ts";

let stack: Stack;
let challenge: string;
before(async () => {
  stack = await startStack();
  challenge = await oauth.calculatePKCECodeChallenge(oauth.randomPKCECodeVerifier());
});
after(async () => {
  await stack?.close();
});

/** Sends the request and returns the error redirect's parameters (asserting it is one). */
async function errorRedirect(params: Record<string, string>, agent = new UserAgent()) {
  const answer = await agent.get(authorizeUrl(stack, params));
  assert.equal(answer.status, 303, answer.text);
  const location = new URL(answer.location as string);
  assert.equal(`${location.origin}${location.pathname}`, "https://app.example/callback");
  return Object.fromEntries(location.searchParams);
}

function base(clientId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    response_type: "code",
    client_id: clientId,
    redirect_uri: "https://app.example/callback",
    state: "af0ifjsldkj",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  };
}

test("metadata advertises the authorization endpoint, S256 only, and iss in responses", async () => {
  const config = await oauthClient(stack, "x", oauth.None());
  const metadata = config.serverMetadata();
  assert.equal(metadata.authorization_endpoint, `${stack.url}/oauth2/authorize`);
  assert.deepEqual(metadata.response_types_supported, ["code"]);
  assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
  assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  assert.ok(metadata.grant_types_supported?.includes("authorization_code"));
});

test("an error redirect carries error, error_description, state and iss", async () => {
  const client = codeClient();
  await stack.put(client);
  const params = await errorRedirect(base(client.clientId, { scope: "orders.read admin" }));
  assert.deepEqual(params, {
    error: "invalid_scope",
    // RFC 6749 §4.1.2.1 allows no double quote in error_description.
    error_description: "this client may not request scope 'admin'",
    state: "af0ifjsldkj",
    iss: stack.url,
  });
  // A registered query stays, and the redirect is 303 without caching.
  const withQuery = codeClient({ redirectUris: ["https://app.example/callback?tenant=7"] });
  await stack.put(withQuery);
  const answer = await new UserAgent().get(
    authorizeUrl(
      stack,
      base(withQuery.clientId, { redirect_uri: "https://app.example/callback?tenant=7", response_type: "token" }),
    ),
  );
  assert.equal(answer.status, 303);
  assert.equal(answer.headers.get("cache-control"), "no-store");
  const location = new URL(answer.location as string);
  assert.equal(location.searchParams.get("tenant"), "7");
  assert.equal(location.searchParams.get("error"), "unsupported_response_type");
  assert.equal(location.searchParams.get("iss"), stack.url);
});

test("PKCE: required for public clients and requirePkce clients; plain refused, explicit or implied", async () => {
  const confidential = codeClient();
  const publicClient = codeClient({ clientType: "public", tokenEndpointAuthMethod: "none", secrets: [] });
  await stack.put(confidential);
  await stack.put(publicClient);
  for (const client of [confidential, publicClient]) {
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = base(client.clientId);
    const missing = await errorRedirect(withoutPkce);
    assert.equal(missing.error, "invalid_request");
    assert.match(missing.error_description as string, /PKCE is required/);
    assert.equal(missing.state, "af0ifjsldkj");
  }
  const plain = await errorRedirect(base(confidential.clientId, { code_challenge_method: "plain" }));
  assert.equal(plain.error, "invalid_request");
  assert.match(plain.error_description as string, /'plain' is not supported; use S256/);
  const { code_challenge_method: _m, ...implied } = base(confidential.clientId);
  const impliedPlain = await errorRedirect(implied);
  assert.match(impliedPlain.error_description as string, /code_challenge_method=S256 is required/);
  const malformed = await errorRedirect(base(confidential.clientId, { code_challenge: "short" }));
  assert.match(malformed.error_description as string, /43-character base64url/);
});

test("a confidential client registered with requirePkce: false may omit PKCE", async () => {
  const client = codeClient({ requirePkce: false });
  await stack.put(client);
  const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = base(client.clientId);
  const answer = await new UserAgent().get(authorizeUrl(stack, withoutPkce));
  assert.equal(answer.status, 200);
  assert.match(answer.text, /Sign in/);
});

test("other refusals: repeated parameter, grant not allowed, unknown audience, response_mode", async () => {
  const client = codeClient();
  const noCodeGrant = codeClient({ grantTypes: ["client_credentials"] });
  await stack.put(client);
  await stack.put(noCodeGrant);
  const repeated = `${authorizeUrl(stack, base(client.clientId))}&scope=orders.read&scope=orders.write`;
  const answer = await new UserAgent().get(repeated);
  assert.equal(new URL(answer.location as string).searchParams.get("error"), "invalid_request");
  assert.equal((await errorRedirect(base(noCodeGrant.clientId))).error, "unauthorized_client");
  assert.equal(
    (await errorRedirect(base(client.clientId, { resource: "https://other.example" }))).error,
    "invalid_target",
  );
  assert.equal((await errorRedirect(base(client.clientId, { response_mode: "fragment" }))).error, "invalid_request");
  assert.equal((await errorRedirect(base(client.clientId, { prompt: "none login" }))).error, "invalid_request");
});

test("prompt=none: login_required without a session, consent_required without consent, a code with both", async () => {
  const client = codeClient();
  await stack.put(client);
  const agent = new UserAgent();
  const noSession = await errorRedirect(base(client.clientId, { prompt: "none" }), agent);
  assert.equal(noSession.error, "login_required");
  assert.equal(noSession.state, "af0ifjsldkj");
  assert.equal(noSession.iss, stack.url);

  // Signed in for another request of the same client, but consent never given.
  const login = await agent.get(authorizeUrl(stack, base(client.clientId)));
  await agent.post(`${stack.url}/oauth2/authorize/login`, {
    ...hiddenFields(login.text),
    username: USER,
    password: PASSWORD,
  });
  const noConsent = await errorRedirect(base(client.clientId, { prompt: "none" }), agent);
  assert.equal(noConsent.error, "consent_required");

  // After consent, prompt=none completes silently.
  await signInAndAllow(agent, stack, authorizeUrl(stack, base(client.clientId, { prompt: "login" })));
  const silent = await agent.get(authorizeUrl(stack, base(client.clientId, { prompt: "none" })));
  assert.equal(silent.status, 303);
  const params = new URL(silent.location as string).searchParams;
  assert.match(params.get("code") ?? "", /^tgac_[A-Za-z0-9_-]{43}$/);
  assert.equal(params.get("state"), "af0ifjsldkj");
  assert.equal(params.get("iss"), stack.url);
});

test("Deny on the consent page sends access_denied to the client", async () => {
  const client = codeClient();
  await stack.put(client);
  const agent = new UserAgent();
  const login = await agent.get(authorizeUrl(stack, base(client.clientId)));
  const signedIn = await agent.post(`${stack.url}/oauth2/authorize/login`, {
    ...hiddenFields(login.text),
    username: USER,
    password: PASSWORD,
  });
  const consent = await agent.get(signedIn.location as string);
  const denied = await agent.post(`${stack.url}/oauth2/authorize/consent`, {
    ...hiddenFields(consent.text),
    decision: "deny",
  });
  assert.equal(denied.status, 303);
  const params = Object.fromEntries(new URL(denied.location as string).searchParams);
  assert.deepEqual(params, {
    error: "access_denied",
    error_description: "the user denied the request",
    state: "af0ifjsldkj",
    iss: stack.url,
  });
});
