// grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.5-4.6) through
// openid-client: the exchange for confidential and public clients, and each way it
// refuses: a replayed code (which revokes what the first exchange issued, §4.1.2),
// a wrong or missing verifier, a verifier for a code issued without a challenge, a
// different redirect_uri, another client's code.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import type { ClientRecord } from "../../../registry/record.ts";
import { basic, oauthClient, oauthErrorOf, post, type Stack, startStack, verifyIndependently } from "../fixtures.ts";
import { codeClient, signInAndAllow, stateKeysIn, UserAgent } from "./support.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

interface Flow {
  callback: URL;
  verifier: string;
  state: string;
  config: oauth.Configuration;
}

/** Runs the browser part over HTTP and returns what the client app holds at its callback. */
async function authorize(client: ClientRecord & { secret: string }, options: { pkce?: boolean } = {}): Promise<Flow> {
  const auth = client.clientType === "public" ? oauth.None() : oauth.ClientSecretBasic(client.secret);
  const config = await oauthClient(stack, client.clientId, auth);
  const verifier = oauth.randomPKCECodeVerifier();
  const state = oauth.randomState();
  const params: Record<string, string> = {
    redirect_uri: client.redirectUris[0] as string,
    scope: "orders.read orders.write",
    state,
  };
  if (options.pkce !== false) {
    params.code_challenge = await oauth.calculatePKCECodeChallenge(verifier);
    params.code_challenge_method = "S256";
  }
  const url = oauth.buildAuthorizationUrl(config, params).href;
  const callback = await signInAndAllow(new UserAgent(), stack, url);
  return { callback, verifier, state, config };
}

async function refusal(promise: Promise<unknown>) {
  return oauthErrorOf(
    await promise.then(
      () => assert.fail("expected a refusal"),
      (error: unknown) => error,
    ),
  );
}

test("confidential client: access and refresh token for the signed-in user; the code is stored hashed", async () => {
  const client = codeClient();
  await stack.put(client);
  const flow = await authorize(client);
  const code = flow.callback.searchParams.get("code") as string;
  assert.ok(!(await stateKeysIn(stack)).some((k) => k.includes(code)));
  const tokens = await oauth.authorizationCodeGrant(flow.config, flow.callback, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
  });
  assert.equal(tokens.scope, "orders.read orders.write");
  assert.match(tokens.refresh_token ?? "", /^tgrt_/);
  const claims = await verifyIndependently(stack, tokens.access_token, "https://orders.example");
  assert.equal(claims.sub, "ada");
  assert.equal(claims.client_id, client.clientId);
  assert.equal(typeof claims.auth_time, "number");
  const refreshed = await oauth.refreshTokenGrant(flow.config, tokens.refresh_token as string);
  assert.equal((await verifyIndependently(stack, refreshed.access_token, "https://orders.example")).sub, "ada");
});

test("public client (none): PKCE is its proof; no refresh token without the refresh_token grant", async () => {
  const client = codeClient({
    clientType: "public",
    tokenEndpointAuthMethod: "none",
    secrets: [],
    grantTypes: ["authorization_code"],
    redirectUris: ["http://127.0.0.1/callback"],
  });
  await stack.put(client);
  const flow = await authorize(client);
  const tokens = await oauth.authorizationCodeGrant(flow.config, flow.callback, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
  });
  assert.equal(tokens.refresh_token, undefined);
  assert.equal((await verifyIndependently(stack, tokens.access_token, "https://orders.example")).sub, "ada");
});

test("a replayed code is refused and the tokens of its first exchange are revoked", async () => {
  const client = codeClient();
  await stack.put(client);
  const flow = await authorize(client);
  const checks = { pkceCodeVerifier: flow.verifier, expectedState: flow.state };
  const first = await oauth.authorizationCodeGrant(flow.config, flow.callback, checks);
  assert.equal((await oauth.tokenIntrospection(flow.config, first.access_token)).active, true);
  const replay = await refusal(oauth.authorizationCodeGrant(flow.config, flow.callback, checks));
  assert.deepEqual(replay, { status: 400, error: "invalid_grant" });
  assert.equal((await oauth.tokenIntrospection(flow.config, first.access_token)).active, false);
  const refresh = await refusal(oauth.refreshTokenGrant(flow.config, first.refresh_token as string));
  assert.equal(refresh.error, "invalid_grant");
  assert.ok(stack.logs.some((line) => line.includes("authorization code replayed")));
});

test("the same code sent twice at once: one take wins, and no live token comes out of it", async () => {
  const client = codeClient({ grantTypes: ["authorization_code"] });
  await stack.put(client);
  const flow = await authorize(client);
  const checks = { pkceCodeVerifier: flow.verifier, expectedState: flow.state };
  const results = await Promise.allSettled([
    oauth.authorizationCodeGrant(flow.config, flow.callback, checks),
    oauth.authorizationCodeGrant(flow.config, flow.callback, checks),
  ]);
  const refused = results.filter((r) => r.status === "rejected");
  assert.ok(refused.length >= 1, "a code works once");
  for (const r of refused) assert.equal((await oauthErrorOf(r.reason)).error, "invalid_grant");
  // The winner either got its tokens and saw them revoked by the replay, or was refused
  // because the replay revoked the family while it was issuing.
  for (const r of results)
    if (r.status === "fulfilled")
      assert.equal((await oauth.tokenIntrospection(flow.config, r.value.access_token)).active, false);
});

test("wrong verifier, missing verifier, other redirect_uri, other client: invalid_grant / invalid_request", async () => {
  const client = codeClient({ redirectUris: ["https://app.example/callback", "https://app.example/other"] });
  const other = codeClient();
  await stack.put(client);
  await stack.put(other);
  const exchange = async (code: string, extra: Record<string, string>, id = client.clientId, secret = client.secret) =>
    post(
      `${stack.url}/oauth2/token`,
      new URLSearchParams({ grant_type: "authorization_code", code, ...extra }).toString(),
      { "content-type": "application/x-www-form-urlencoded", authorization: basic(id, secret) },
    );
  const cases: [string, (flow: Flow) => Record<string, string>, string, { id: string; secret: string }?][] = [
    [
      "wrong verifier",
      () => ({ redirect_uri: "https://app.example/callback", code_verifier: oauth.randomPKCECodeVerifier() }),
      "invalid_grant",
    ],
    ["missing verifier", () => ({ redirect_uri: "https://app.example/callback" }), "invalid_request"],
    [
      "malformed verifier",
      () => ({ redirect_uri: "https://app.example/callback", code_verifier: "short" }),
      "invalid_request",
    ],
    [
      "other redirect_uri",
      (f) => ({ redirect_uri: "https://app.example/other", code_verifier: f.verifier }),
      "invalid_grant",
    ],
    ["no redirect_uri", (f) => ({ code_verifier: f.verifier }), "invalid_grant"],
    [
      "another client's code",
      (f) => ({ redirect_uri: "https://app.example/callback", code_verifier: f.verifier }),
      "invalid_grant",
      { id: other.clientId, secret: other.secret },
    ],
  ];
  for (const [name, extra, error, as] of cases) {
    const flow = await authorize(client);
    const code = flow.callback.searchParams.get("code") as string;
    const refused = await exchange(code, extra(flow), as?.id, as?.secret);
    assert.equal(refused.status, 400, name);
    assert.equal((refused.body as { error: string }).error, error, name);
    if (error === "invalid_grant" || name === "missing verifier") {
      // The code is gone either way: the right request afterwards is a replay.
      const right = await exchange(code, {
        redirect_uri: "https://app.example/callback",
        code_verifier: flow.verifier,
      });
      assert.equal((right.body as { error: string }).error, "invalid_grant", `${name}: code spent`);
    }
  }
});

test("PKCE downgrade: a code_verifier for a code issued without a challenge is refused", async () => {
  const client = codeClient({ requirePkce: false });
  await stack.put(client);
  const flow = await authorize(client, { pkce: false });
  const refused = await refusal(
    oauth.authorizationCodeGrant(flow.config, flow.callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    }),
  );
  assert.equal(refused.error, "invalid_grant");
  const again = await authorize(client, { pkce: false });
  const tokens = await oauth.authorizationCodeGrant(again.config, again.callback, { expectedState: again.state });
  assert.ok(tokens.access_token);
});
