// While the token state (Redis) is down: discovery keeps answering from memory;
// userinfo cannot say a JWT is not revoked, so it answers 503 temporarily_unavailable
// with Retry-After and no invalid_token challenge (a client must not throw away a
// token that may be fine); logout cannot end a session it cannot read (a 503 page).
// Both recover when Redis returns.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { waitFor } from "../../harness/processes.ts";
import { signInAndAllow, USER, UserAgent } from "../authorization-code/support.ts";
import { oauthClient, type Stack, startStack } from "../fixtures.ts";
import { oidcClient, REDIRECT_URI } from "./support.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test("Redis down: discovery answers, userinfo and logout fail closed with 503, then recover", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const verifier = oauth.randomPKCECodeVerifier();
  const url = oauth.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: "openid email",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const agent = new UserAgent();
  const callback = await signInAndAllow(agent, stack, url.href);
  const tokens = await oauth.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: oauth.skipStateCheck,
  });
  const userinfo = () =>
    fetch(`${stack.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });

  await stack.redis.stop();
  await waitFor("the token state to notice", async () => !stack.state.available || undefined);
  assert.equal((await fetch(`${stack.url}/.well-known/openid-configuration`)).status, 200);
  const down = await userinfo();
  assert.equal(down.status, 503);
  assert.equal(down.headers.get("retry-after"), "1");
  assert.equal(down.headers.get("www-authenticate"), null);
  assert.equal(((await down.json()) as { error: string }).error, "temporarily_unavailable");
  const logout = await agent.get(
    `${stack.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: tokens.id_token as string })}`,
  );
  assert.equal(logout.status, 503);
  assert.equal(logout.location, undefined);

  await stack.redis.restart();
  await waitFor("the token state to reconnect", async () => stack.state.available || undefined, { timeoutMs: 15_000 });
  assert.deepEqual(await oauth.fetchUserInfo(config, tokens.access_token, USER), {
    sub: USER,
    email: "ada@example.com",
    email_verified: true,
  });
});
