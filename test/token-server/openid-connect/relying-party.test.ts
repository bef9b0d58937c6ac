// OpenID Connect sign-in as a relying party does it, with openid-client in its OIDC mode
// (Core §3.1): discovery at /.well-known/openid-configuration, the real login and
// consent pages over HTTP, authorizationCodeGrant checking the ID token (signature
// against the JWKS, iss, aud, azp, exp, iat, nonce, auth_time with max_age) on the
// library's side, fetchUserInfo with expectedSubject, refresh (§12.2), prompt and
// max_age, userinfo's RFC 6750 errors, and POST to the authorization endpoint.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import type { ClientRecord } from "../../../registry/record.ts";
import { hiddenFields, PASSWORD, signInAndAllow, USER, UserAgent } from "../authorization-code/support.ts";
import { oauthClient, type Stack, startStack } from "../fixtures.ts";
import { ADA_CLAIMS, oidcClient, REDIRECT_URI } from "./support.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

interface SignIn {
  config: oauth.Configuration;
  tokens: oauth.TokenEndpointResponse & oauth.TokenEndpointResponseHelpers;
  agent: UserAgent;
  nonce: string;
}

/** The whole front channel and the code exchange; openid-client validates the ID token. */
async function signIn(
  client: ClientRecord & { secret: string },
  scope: string,
  extra: Record<string, string> = {},
  agent = new UserAgent(),
): Promise<SignIn> {
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const verifier = oauth.randomPKCECodeVerifier();
  const nonce = oauth.randomNonce();
  const state = oauth.randomState();
  const url = oauth.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...extra,
  });
  const callback = await signInAndAllow(agent, stack, url.href);
  const tokens = await oauth.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    ...(extra.max_age === undefined ? {} : { maxAge: Number(extra.max_age) }),
  });
  return { config, tokens, agent, nonce };
}

function jwtParts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token
    .split(".")
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()));
  return { header, payload };
}

test("openid profile email groups: an ID token for the user, validated by openid-client; userinfo has the claims", async () => {
  const client = oidcClient();
  await stack.put(client);
  const before = Math.floor(Date.now() / 1000);
  const { config, tokens, nonce } = await signIn(client, "openid profile email groups orders.read");
  const claims = tokens.claims();
  assert.ok(claims);
  assert.equal(claims.iss, stack.url);
  assert.equal(claims.sub, USER);
  assert.equal(claims.aud, client.clientId);
  assert.equal(claims.azp, client.clientId);
  assert.equal(claims.nonce, nonce);
  assert.ok((claims.auth_time as number) >= before);
  assert.equal(typeof claims.at_hash, "string");
  assert.equal(claims.email, undefined, "profile claims are served by userinfo, not the ID token");
  const { header } = jwtParts(tokens.id_token as string);
  assert.equal(header.typ, "JWT");
  assert.equal(header.alg, "ES256");
  assert.equal(header.kid, stack.keys.current?.kid);

  const userinfo = await oauth.fetchUserInfo(config, tokens.access_token, USER);
  assert.deepEqual(userinfo, { sub: USER, ...ADA_CLAIMS });

  // The ID token cannot be used as an access token: userinfo refuses it.
  const asBearer = await fetch(`${stack.url}/oauth2/userinfo`, {
    headers: { authorization: `Bearer ${tokens.id_token}` },
  });
  assert.equal(asBearer.status, 401);
});

test("refresh: a new ID token for the same sign-in (same sub and auth_time, no nonce); none once openid is narrowed away", async () => {
  const client = oidcClient();
  await stack.put(client);
  const { config, tokens } = await signIn(client, "openid email orders.read");
  const first = tokens.claims();
  assert.ok(first);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const refreshed = await oauth.refreshTokenGrant(config, tokens.refresh_token as string);
  const again = refreshed.claims();
  assert.ok(again, "the refresh answer carries an ID token");
  assert.equal(again.sub, first.sub);
  assert.equal(again.auth_time, first.auth_time);
  assert.equal(again.nonce, undefined);
  assert.ok((again.iat as number) > (first.iat as number));
  assert.deepEqual(await oauth.fetchUserInfo(config, refreshed.access_token, USER), {
    sub: USER,
    email: ADA_CLAIMS.email,
    email_verified: true,
  });
  const narrowed = await oauth.refreshTokenGrant(config, refreshed.refresh_token as string, { scope: "orders.read" });
  assert.equal(narrowed.id_token, undefined);
});

test("without openid: no ID token, and userinfo answers 403 insufficient_scope", async () => {
  const client = oidcClient();
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const verifier = oauth.randomPKCECodeVerifier();
  const url = oauth.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: "orders.read",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: "s",
  });
  const callback = await signInAndAllow(new UserAgent(), stack, url.href);
  const tokens = await oauth.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: "s",
  });
  assert.equal(tokens.id_token, undefined);
  const answer = await fetch(`${stack.url}/oauth2/userinfo`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(answer.status, 403);
  assert.equal(
    answer.headers.get("www-authenticate"),
    'Bearer realm="tollgate", error="insufficient_scope", error_description="the access token was not issued with the openid scope", scope="openid"',
  );
});

test("userinfo: opaque tokens, POST with a form body, RFC 6750 errors for no, bad, revoked and doubled tokens", async () => {
  const client = oidcClient({ accessToken: { lifetimeSeconds: 300, format: "opaque" } });
  await stack.put(client);
  const { config, tokens } = await signIn(client, "openid profile");
  assert.match(tokens.access_token, /^tgat_/);
  const userinfo = `${stack.url}/oauth2/userinfo`;
  assert.deepEqual(await oauth.fetchUserInfo(config, tokens.access_token, USER), {
    sub: USER,
    name: ADA_CLAIMS.name,
    given_name: ADA_CLAIMS.given_name,
    family_name: ADA_CLAIMS.family_name,
  });
  const posted = await fetch(userinfo, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ access_token: tokens.access_token }),
  });
  assert.equal(posted.status, 200);
  assert.equal(posted.headers.get("cache-control"), "no-store");
  assert.equal(((await posted.json()) as { sub: string }).sub, USER);

  const none = await fetch(userinfo);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="tollgate"');

  const bad = await fetch(userinfo, { headers: { authorization: "Bearer tgat_not-a-token" } });
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get("www-authenticate") ?? "", /^Bearer realm="tollgate", error="invalid_token"/);
  assert.equal(((await bad.json()) as { error: string }).error, "invalid_token");

  const twice = await fetch(userinfo, {
    method: "POST",
    headers: { authorization: `Bearer ${tokens.access_token}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ access_token: tokens.access_token }),
  });
  assert.equal(twice.status, 400);
  assert.match(twice.headers.get("www-authenticate") ?? "", /error="invalid_request"/);

  const inQuery = await fetch(`${userinfo}?access_token=${tokens.access_token}`);
  assert.equal(inQuery.status, 400);

  await oauth.tokenRevocation(config, tokens.access_token);
  const revoked = await fetch(userinfo, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(revoked.status, 401);
  assert.match(revoked.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
});

test("userinfo: a revoked JWT access token and a user removed from the directory are invalid_token", async () => {
  const client = oidcClient();
  await stack.put(client);
  const { config, tokens } = await signIn(client, "openid");
  assert.deepEqual(await oauth.fetchUserInfo(config, tokens.access_token, USER), { sub: USER });
  await oauth.tokenRevocation(config, tokens.access_token);
  const revoked = await fetch(`${stack.url}/oauth2/userinfo`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.equal(revoked.status, 401);

  const second = await signIn(client, "openid");
  await stack.put({
    ...client,
    identityMapping: { ...(client.identityMapping as NonNullable<ClientRecord["identityMapping"]>), users: [] },
    updatedAt: Date.now(),
  });
  const gone = await fetch(`${stack.url}/oauth2/userinfo`, {
    headers: { authorization: `Bearer ${second.tokens.access_token}` },
  });
  assert.equal(gone.status, 401);
  assert.match(gone.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
});

/** Grace signs in (she has no claims in the directory); the consent page shows the OpenID scopes in words. */
async function signInGrace(client: ClientRecord & { secret: string }) {
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const agent = new UserAgent();
  const verifier = oauth.randomPKCECodeVerifier();
  const url = oauth.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: "openid profile email",
    nonce: "n-0S6_WzA2Mj",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const login = await agent.get(url.href);
  const signedIn = await agent.post(`${stack.url}/oauth2/authorize/login`, {
    ...hiddenFields(login.text),
    username: "grace",
    password: "hopper-1906",
  });
  const consent = await agent.get(signedIn.location as string);
  // A client with skipConsent goes straight back; otherwise Allow.
  const allowed =
    consent.status === 303
      ? consent
      : await agent.post(`${stack.url}/oauth2/authorize/consent`, { ...hiddenFields(consent.text), decision: "allow" });
  const tokens = await oauth.authorizationCodeGrant(config, new URL(allowed.location as string), {
    pkceCodeVerifier: verifier,
    expectedNonce: "n-0S6_WzA2Mj",
    expectedState: oauth.skipStateCheck,
  });
  return { config, tokens, consentPage: consent.text };
}

test("a user without claims in the directory: userinfo has sub only; consent names the claims in words", async () => {
  const client = oidcClient();
  await stack.put(client);
  const { config, tokens, consentPage } = await signInGrace(client);
  assert.equal(tokens.claims()?.sub, "grace");
  assert.deepEqual(await oauth.fetchUserInfo(config, tokens.access_token, "grace"), { sub: "grace" });
  assert.match(consentPage, /Know your name and profile/);
  assert.match(consentPage, /Know your email address/);
  assert.doesNotMatch(consentPage, /<code>openid<\/code>/);
});

test("id_token_hint: the hinted user's session counts; another user's is login_required; a bad hint is refused", async () => {
  const client = oidcClient({ skipConsent: true });
  const other = oidcClient({ skipConsent: true });
  await stack.put(client);
  await stack.put(other);
  const ada = await signIn(client, "openid");
  const grace = await signInGrace(client);
  const elsewhere = await signIn(other, "openid");
  const silent = async (hint: string) => {
    const url = oauth.buildAuthorizationUrl(ada.config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      prompt: "none",
      id_token_hint: hint,
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    });
    const answer = await ada.agent.get(url.href);
    assert.equal(answer.status, 303);
    const params = new URL(answer.location as string).searchParams;
    return params.get("error") ?? (params.has("code") ? "code" : "nothing");
  };
  assert.equal(await silent(ada.tokens.id_token as string), "code");
  assert.equal(await silent(grace.tokens.id_token as string), "login_required");
  assert.equal(await silent(elsewhere.tokens.id_token as string), "invalid_request", "another client's ID token");
  assert.equal(await silent(ada.tokens.access_token), "invalid_request", "an access token is no ID token");
  assert.equal(await silent("not-a-token"), "invalid_request");
});

test("prompt=none: login_required without a session, consent_required without consent; nonce survives a silent sign-in", async () => {
  const client = oidcClient();
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const silentUrl = async (agent: UserAgent, scope: string, nonce: string) => {
    const url = oauth.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope,
      nonce,
      prompt: "none",
      state: "silent",
      code_challenge: await oauth.calculatePKCECodeChallenge("v".repeat(43)),
      code_challenge_method: "S256",
    });
    const answer = await agent.get(url.href);
    assert.equal(answer.status, 303);
    return new URL(answer.location as string);
  };
  const stranger = await silentUrl(new UserAgent(), "openid", "n1");
  assert.equal(stranger.searchParams.get("error"), "login_required");
  assert.equal(stranger.searchParams.get("state"), "silent");

  const { agent } = await signIn(client, "openid");
  const more = await silentUrl(agent, "openid email", "n2");
  assert.equal(more.searchParams.get("error"), "consent_required");

  const ok = await silentUrl(agent, "openid", "n3");
  const tokens = await oauth.authorizationCodeGrant(config, ok, {
    pkceCodeVerifier: "v".repeat(43),
    expectedState: "silent",
    expectedNonce: "n3",
  });
  assert.equal(tokens.claims()?.nonce, "n3");
});

test("max_age: an older sign-in is asked again (login_required with prompt=none); auth_time says when", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const first = await signIn(client, "openid");
  const firstAuth = first.tokens.claims()?.auth_time as number;
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const url = (extra: Record<string, string>) =>
    oauth.buildAuthorizationUrl(first.config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      ...extra,
    }).href;
  const silent = await first.agent.get(url({ prompt: "none", max_age: "1" }));
  assert.equal(new URL(silent.location as string).searchParams.get("error"), "login_required");
  const fresh = await first.agent.get(url({ max_age: "1" }));
  assert.equal(fresh.status, 200);
  assert.match(fresh.text, /Sign in/);
  // A generous max_age lets the session count: straight back with a code.
  assert.equal((await first.agent.get(url({ max_age: "3600" }))).status, 303);

  const again = await signIn(client, "openid", { max_age: "1" }, first.agent);
  assert.ok((again.tokens.claims()?.auth_time as number) > firstAuth);
  const bad = await first.agent.get(url({ max_age: "-1" }));
  assert.equal(new URL(bad.location as string).searchParams.get("error"), "invalid_request");
});

test("prompt=login asks for the password again even with a session; auth_time moves", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const first = await signIn(client, "openid");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const second = await signIn(client, "openid", { prompt: "login" }, first.agent);
  assert.ok((second.tokens.claims()?.auth_time as number) > (first.tokens.claims()?.auth_time as number));
});

test("a wrong nonce is caught by the relying party; request objects are refused with request_not_supported", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const verifier = oauth.randomPKCECodeVerifier();
  const base = {
    redirect_uri: REDIRECT_URI,
    scope: "openid",
    nonce: "the-real-nonce",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  };
  const callback = await signInAndAllow(new UserAgent(), stack, oauth.buildAuthorizationUrl(config, base).href);
  await assert.rejects(
    oauth.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: "another-nonce",
      expectedState: oauth.skipStateCheck,
    }),
    (error: Error) => /"nonce" claim/.test(String((error.cause as Error | undefined)?.message)),
  );
  const withRequestUrl = oauth.buildAuthorizationUrl(config, base);
  withRequestUrl.searchParams.set("request", "eyJhbGciOiJub25lIn0.e30.");
  const withRequest = await new UserAgent().get(withRequestUrl.href);
  assert.equal(
    new URL(withRequest.location as string).searchParams.get("error"),
    "request_not_supported",
    withRequest.location,
  );
});

test("POST /oauth2/authorize: with the session cookie it is served; without (cross-site) it goes on as a GET, so SSO works", async () => {
  const client = oidcClient({ skipConsent: true });
  await stack.put(client);
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const verifier = oauth.randomPKCECodeVerifier();
  const form = {
    response_type: "code",
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: "openid email",
    nonce: "posted-nonce",
    state: "posted",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  };
  // A fresh browser: no cookie, so the POST is resent as a GET with the same parameters.
  const agent = new UserAgent();
  const resent = await agent.post(`${stack.url}/oauth2/authorize`, form);
  assert.equal(resent.status, 303);
  const target = new URL(resent.location as string);
  assert.equal(target.origin + target.pathname, `${stack.url}/oauth2/authorize`);
  assert.deepEqual(Object.fromEntries(target.searchParams), form);
  const login = await agent.get(target.href);
  assert.equal(login.status, 200);
  const signedIn = await agent.post(`${stack.url}/oauth2/authorize/login`, {
    ...hiddenFields(login.text),
    username: USER,
    password: PASSWORD,
  });
  const done = await agent.get(signedIn.location as string);
  assert.equal(done.status, 303);
  const tokens = await oauth.authorizationCodeGrant(config, new URL(done.location as string), {
    pkceCodeVerifier: verifier,
    expectedState: "posted",
    expectedNonce: "posted-nonce",
  });
  assert.equal(tokens.claims()?.sub, USER);

  // Signed in: a POST carrying the cookie is served at once (a code, no page) ...
  const again = await agent.post(`${stack.url}/oauth2/authorize`, { ...form, nonce: "second" });
  assert.equal(again.status, 303);
  assert.ok(new URL(again.location as string).searchParams.has("code"));
  // ... and a cross-site POST, which a browser sends without the Lax cookie, reaches the
  // same session through the GET it is resent as.
  const crossSite = await fetch(`${stack.url}/oauth2/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...form, nonce: "third", prompt: "none" }),
    redirect: "manual",
  });
  assert.equal(crossSite.status, 303);
  const silent = await agent.get(new URL(crossSite.headers.get("location") as string, stack.url).href);
  assert.ok(new URL(silent.location as string).searchParams.has("code"), silent.location);

  // An unknown client on POST (with a cookie) is an error page, never a redirect.
  const unknown = await agent.post(`${stack.url}/oauth2/authorize`, { client_id: "nobody" });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.location, undefined);
});
