// RP-Initiated Logout 1.0 at the end_session_endpoint, over HTTP: openid-client builds
// the logout URL from discovery; an id_token_hint for the signed-in user ends the
// session at once (its record in the token state and the cookie), returns to a
// registered post_logout_redirect_uri with `state`; no hint asks the user first; a
// bad hint, another client's client_id or an unregistered URI end on an error page.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { hiddenFields, signInAndAllow, stateKeysIn, UserAgent } from "../authorization-code/support.ts";
import { oauthClient, type Stack, startStack } from "../fixtures.ts";
import { LOGOUT_URI, oidcClient, REDIRECT_URI } from "./support.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

async function signedIn(client: ReturnType<typeof oidcClient>) {
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const verifier = oauth.randomPKCECodeVerifier();
  const agent = new UserAgent();
  const authorize = (extra: Record<string, string> = {}) =>
    oauth.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      state: "s",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      ...extra,
    }).href;
  const url = oauth.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: "openid",
    state: "s",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const callback = await signInAndAllow(agent, stack, url.href);
  const tokens = await oauth.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: "s",
  });
  return { config, agent, tokens, authorize };
}

const sessionKeys = async () => (await stateKeysIn(stack)).filter((key) => key.includes(":session:"));

test("with the ID token as hint: the session ends, the browser returns to the registered URI with state", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const { config, agent, tokens, authorize } = await signedIn(client);
  assert.equal((await agent.get(authorize({ prompt: "none" }))).status, 303);
  assert.ok(new URL((await agent.get(authorize({ prompt: "none" }))).location as string).searchParams.has("code"));
  const sessionsBefore = (await sessionKeys()).length;

  const logout = oauth.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token as string,
    post_logout_redirect_uri: LOGOUT_URI,
    state: "bye-123",
  });
  assert.equal(logout.origin + logout.pathname, `${stack.url}/oauth2/logout`);
  const answer = await agent.get(logout.href);
  assert.equal(answer.status, 303);
  assert.equal(answer.location, `${LOGOUT_URI}?state=bye-123`);
  assert.match(
    answer.headers.get("set-cookie") ?? "",
    /^tollgate-session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax/,
  );
  assert.equal((await sessionKeys()).length, sessionsBefore - 1, "the session's record is gone from the token state");

  // Signed out: a silent authorization now needs a sign-in.
  const silent = await agent.get(authorize({ prompt: "none" }));
  assert.equal(new URL(silent.location as string).searchParams.get("error"), "login_required");
  assert.ok(stack.logs.some((line) => line.includes("user signed out")));
});

const STATE = 'x"><b>bold</b>';

/** The form's hidden fields as a browser submits them: HTML entities decoded. */
function submitted(html: string): Record<string, string> {
  const entities: Record<string, string> = { "&quot;": '"', "&lt;": "<", "&gt;": ">", "&#39;": "'", "&amp;": "&" };
  return Object.fromEntries(
    Object.entries(hiddenFields(html)).map(([name, value]) => [
      name,
      value.replace(/&(quot|lt|gt|#39|amp);/g, (entity) => entities[entity] as string),
    ]),
  );
}

test("without a hint the user is asked; confirming (with the anti-CSRF token) signs out; the page's form is the only way", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const { agent, authorize } = await signedIn(client);
  const url = `${stack.url}/oauth2/logout?${new URLSearchParams({
    client_id: client.clientId,
    post_logout_redirect_uri: LOGOUT_URI,
    state: STATE,
  })}`;
  const page = await agent.get(url);
  assert.equal(page.status, 200);
  assert.match(page.text, /Sign out\?/);
  assert.doesNotMatch(page.text, /<b>/, "the carried state is escaped");
  assert.match(page.headers.get("content-security-policy") ?? "", /form-action 'self' https:\/\/app\.example/);
  // Still signed in until confirmed.
  assert.ok(new URL((await agent.get(authorize({ prompt: "none" }))).location as string).searchParams.has("code"));

  const forged = await agent.post(`${stack.url}/oauth2/logout`, {
    ...submitted(page.text),
    csrf: "forged",
    confirm: "yes",
  });
  assert.equal(forged.status, 200, "a forged confirmation only shows the question again");
  assert.ok(new URL((await agent.get(authorize({ prompt: "none" }))).location as string).searchParams.has("code"));

  const confirmed = await agent.post(`${stack.url}/oauth2/logout`, { ...submitted(page.text), confirm: "yes" });
  assert.equal(confirmed.status, 303);
  assert.equal(new URL(confirmed.location as string).searchParams.get("state"), STATE);
  assert.equal(new URL(confirmed.location as string).pathname, new URL(LOGOUT_URI).pathname);
  const silent = await agent.get(authorize({ prompt: "none" }));
  assert.equal(new URL(silent.location as string).searchParams.get("error"), "login_required");
});

test("without a redirect URI the sign-out ends on the server's own page", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const { agent, tokens } = await signedIn(client);
  const answer = await agent.get(
    `${stack.url}/oauth2/logout?${new URLSearchParams({ id_token_hint: tokens.id_token as string })}`,
  );
  assert.equal(answer.status, 200);
  assert.match(answer.text, /You are signed out/);
  assert.match(answer.headers.get("set-cookie") ?? "", /Max-Age=0/);
});

test("refused on an error page, never redirected: unregistered URI, forged or foreign hint, client_id not the hint's", async () => {
  const client = oidcClient({ skipConsent: true });
  const other = oidcClient({ skipConsent: true, postLogoutRedirectUris: ["https://other.example/bye"] });
  await stack.put(client);
  await stack.put(other);
  const { agent, tokens } = await signedIn(client);
  const hint = tokens.id_token as string;
  const cases: Record<string, string>[] = [
    { id_token_hint: hint, post_logout_redirect_uri: "https://evil.example/" },
    { id_token_hint: hint, post_logout_redirect_uri: "https://other.example/bye" },
    { id_token_hint: `${hint.slice(0, -4)}AAAA`, post_logout_redirect_uri: LOGOUT_URI },
    { id_token_hint: tokens.access_token, post_logout_redirect_uri: LOGOUT_URI },
    { id_token_hint: hint, client_id: other.clientId, post_logout_redirect_uri: LOGOUT_URI },
    { post_logout_redirect_uri: LOGOUT_URI },
    { client_id: "nobody", post_logout_redirect_uri: LOGOUT_URI },
  ];
  for (const params of cases) {
    const answer = await agent.get(`${stack.url}/oauth2/logout?${new URLSearchParams(params)}`);
    assert.equal(answer.status, 400, JSON.stringify(params));
    assert.equal(answer.location, undefined);
    assert.match(answer.text, /This sign-out link is not valid/);
  }
  // Still signed in after all of them.
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const silent = await agent.get(
    oauth.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      prompt: "none",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    }).href,
  );
  assert.ok(new URL(silent.location as string).searchParams.has("code"));
});

test("a cross-site POST (no session cookie) is resent as a GET, which carries the cookie and ends the session", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const { agent, tokens, authorize } = await signedIn(client);
  const crossSite = await fetch(`${stack.url}/oauth2/logout`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: LOGOUT_URI,
      state: "posted",
    }),
    redirect: "manual",
  });
  assert.equal(crossSite.status, 303);
  const target = new URL(crossSite.headers.get("location") as string, stack.url);
  assert.equal(target.pathname, "/oauth2/logout");
  const answer = await agent.get(target.href);
  assert.equal(answer.location, `${LOGOUT_URI}?state=posted`);
  const silent = await agent.get(authorize({ prompt: "none" }));
  assert.equal(new URL(silent.location as string).searchParams.get("error"), "login_required");
});
