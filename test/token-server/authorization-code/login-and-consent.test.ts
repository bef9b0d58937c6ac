// The login and consent pages over HTTP: anti-CSRF tokens bound to the session and
// the request, the session cookie, the password grant's throttle, consent remembered
// per user and client, prompt=login / prompt=consent, and the pages' security headers.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import bcrypt from "bcryptjs";
import * as oauth from "openid-client";
import { cookieIsSecure, cookieName } from "../../../token-server/sessions/session-cookie.ts";
import { PASSWORD_THROTTLE } from "../../../token-server/users/password-throttle.ts";
import { identityMapping, oauthClient, type Stack, startStack, verifyIndependently } from "../fixtures.ts";
import {
  authorizeUrl,
  codeClient,
  hiddenFields,
  PASSWORD,
  signInAndAllow,
  stateKeysIn,
  USER,
  USERS,
  UserAgent,
} from "./support.ts";

const OTHER_USER = `zed:${bcrypt.hashSync("zed-pw", 4)}`;

let stack: Stack;
let challenge: string;
const verifier = oauth.randomPKCECodeVerifier();
before(async () => {
  stack = await startStack();
  challenge = await oauth.calculatePKCECodeChallenge(verifier);
});
after(async () => {
  await stack?.close();
});

function request(clientId: string, extra: Record<string, string> = {}): string {
  return authorizeUrl(stack, {
    response_type: "code",
    client_id: clientId,
    redirect_uri: "https://app.example/callback",
    state: "st",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  });
}

const loginUrl = () => `${stack.url}/oauth2/authorize/login`;
const consentUrl = () => `${stack.url}/oauth2/authorize/consent`;

test("the login page: labelled fields, no script, strict CSP allowing the client's redirect as form target", async () => {
  const client = codeClient();
  await stack.put(client);
  const page = await new UserAgent().get(request(client.clientId));
  assert.equal(page.status, 200);
  assert.match(page.text, /<label for="username">Username<\/label>/);
  assert.match(page.text, /<label for="password">Password<\/label>/);
  assert.match(page.text, /id="password" name="password" type="password" autocomplete="current-password"/);
  assert.match(page.text, /role="alert" aria-live="assertive" id="form-error" hidden/);
  assert.match(page.text, /to continue to <strong class="client">Orders Dashboard<\/strong>/);
  assert.doesNotMatch(page.text, /<script|style=|\son[a-z]+=/i);
  assert.equal(
    page.headers.get("content-security-policy"),
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://app.example; frame-ancestors 'none'; base-uri 'none'",
  );
  assert.equal(page.headers.get("x-frame-options"), "DENY");
  assert.equal(page.headers.get("referrer-policy"), "no-referrer");
  assert.equal(page.headers.get("cache-control"), "no-store");
  const css = await fetch(`${stack.url}/oauth2/assets/tollgate.css`);
  assert.equal(css.status, 200);
  assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
  assert.match(await css.text(), /:focus-visible/);
});

test("the session cookie: random, HttpOnly, SameSite=Lax, replaced at sign-in; Secure off loopback", async () => {
  const client = codeClient();
  await stack.put(client);
  const agent = new UserAgent();
  const page = await agent.get(request(client.clientId));
  const [anonymous] = page.headers.getSetCookie();
  assert.match(anonymous ?? "", /^tollgate-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=1800; HttpOnly; SameSite=Lax$/);
  const before = agent.cookies.get("tollgate-session");
  const signedIn = await agent.post(loginUrl(), { ...hiddenFields(page.text), username: USER, password: PASSWORD });
  assert.equal(signedIn.status, 303);
  assert.match(
    signedIn.headers.getSetCookie()[0] ?? "",
    /^tollgate-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax$/,
  );
  assert.notEqual(agent.cookies.get("tollgate-session"), before, "a new session ID at sign-in (no fixation)");
  // The old ID is no longer a session: a browser holding it is not signed in.
  const stale = new UserAgent();
  stale.cookies.set("tollgate-session", before as string);
  const silent = await stale.get(request(client.clientId, { prompt: "none" }));
  assert.equal(new URL(silent.location as string).searchParams.get("error"), "login_required");
  // Only a hash of the cookie is a key in Redis.
  const keys = await stateKeysIn(stack);
  assert.ok(keys.some((k) => k.startsWith("tollgate:state:v1:session:")));
  assert.ok(!keys.some((k) => k.includes(agent.cookies.get("tollgate-session") as string)));
  assert.equal(cookieIsSecure("https://auth.example"), true);
  assert.equal(cookieName("https://auth.example"), "__Host-tollgate-session");
  assert.equal(cookieIsSecure("http://[::1]:8080"), false);
  assert.equal(cookieIsSecure("http://10.0.0.5:8080"), true);
});

test("a login POST without, with a wrong, or with another session's anti-CSRF token is refused", async () => {
  const client = codeClient();
  await stack.put(client);
  const victim = new UserAgent();
  const page = await victim.get(request(client.clientId));
  const fields = hiddenFields(page.text);
  const attempts: Record<string, Record<string, string>> = {
    "no token": { request: fields.request as string, username: USER, password: PASSWORD },
    "wrong token": { ...fields, csrf: "A".repeat(43), username: USER, password: PASSWORD },
  };
  for (const [name, form] of Object.entries(attempts)) {
    const answer = await victim.post(loginUrl(), form);
    assert.equal(answer.status, 403, name);
    assert.equal(answer.location, undefined, name);
    assert.match(answer.text, /This form has expired/, name);
    assert.equal(answer.headers.getSetCookie().length, 0, `${name}: not signed in`);
  }
  // An attacker's own valid token and request ID, submitted from the victim's browser.
  const attacker = new UserAgent();
  const attackerPage = await attacker.get(request(client.clientId));
  const forged = await victim.post(loginUrl(), {
    ...hiddenFields(attackerPage.text),
    username: USER,
    password: PASSWORD,
  });
  assert.equal(forged.status, 403);
  assert.match(forged.text, /another browser session/);
  // A browser without the session cookie cannot post the form either.
  const cookieless = new UserAgent();
  const noCookie = await cookieless.post(loginUrl(), { ...fields, username: USER, password: PASSWORD });
  assert.equal(noCookie.status, 400);
  assert.match(noCookie.text, /did not keep the sign-in cookie/);
  // The consent form checks its own token the same way.
  const consent = await victim.post(consentUrl(), {
    request: fields.request as string,
    csrf: fields.csrf as string,
    decision: "allow",
  });
  assert.equal(consent.status, 403, "the login form's token is not the consent form's");
});

test("a wrong password shows the form again with the error announced; the throttle locks the user", async () => {
  // A directory of its own: the throttle counts per directory and user, and the other
  // tests' clients share USERS.
  const client = codeClient({ identityMapping: identityMapping({ users: [...USERS, OTHER_USER] }) });
  await stack.put(client);
  const agent = new UserAgent();
  let page = await agent.get(request(client.clientId));
  for (let attempt = 1; attempt <= PASSWORD_THROTTLE.userLimit; attempt++) {
    const wrong = await agent.post(loginUrl(), {
      ...hiddenFields(page.text),
      username: USER,
      password: `nope-${attempt}`,
    });
    assert.equal(wrong.status, 401);
    assert.match(
      wrong.text,
      /role="alert" aria-live="assertive" id="form-error">The username or password is incorrect\./,
    );
    assert.match(wrong.text, /value="ada"/);
    assert.match(wrong.text, /aria-invalid="true" aria-describedby="form-error"/);
    page = wrong;
  }
  // Locked: even the right password is refused until the window ends (password-throttle.ts).
  const locked = await agent.post(loginUrl(), { ...hiddenFields(page.text), username: USER, password: PASSWORD });
  assert.equal(locked.status, 429);
  assert.match(locked.headers.get("retry-after") ?? "", /^\d+$/);
  assert.match(locked.text, /Too many failed attempts/);
  // Another user of the same client is not locked.
  const other = await agent.post(loginUrl(), {
    ...hiddenFields(locked.text),
    username: "grace",
    password: "hopper-1906",
  });
  assert.equal(other.status, 303);
});

test("consent is remembered per user and client; asked again for more scope, never with skipConsent", async () => {
  const client = codeClient();
  await stack.put(client);
  const agent = new UserAgent();
  await signInAndAllow(agent, stack, request(client.clientId, { scope: "orders.read" }));
  // Same scope: straight back to the client with a code.
  const again = await agent.get(request(client.clientId, { scope: "orders.read" }));
  assert.equal(again.status, 303);
  assert.ok(new URL(again.location as string).searchParams.get("code"));
  // More scope: the consent page again, listing it.
  const more = await agent.get(request(client.clientId, { scope: "orders.read orders.write" }));
  assert.equal(more.status, 200);
  assert.match(more.text, /Use the <code>orders.write<\/code> scope/);
  // prompt=consent asks even for what was granted; prompt=login asks for the password.
  assert.match(
    (await agent.get(request(client.clientId, { scope: "orders.read", prompt: "consent" }))).text,
    /wants to access/,
  );
  assert.match(
    (await agent.get(request(client.clientId, { scope: "orders.read", prompt: "login" }))).text,
    /<h1 id="title">Sign in/,
  );
  // A first-party client registered with skipConsent goes from sign-in straight to the code.
  const consents = async () => (await stateKeysIn(stack)).filter((k) => k.startsWith("tollgate:state:v1:consent:"));
  const remembered = (await consents()).length;
  const firstParty = codeClient({ skipConsent: true });
  await stack.put(firstParty);
  const back = await signInAndAllow(new UserAgent(), stack, request(firstParty.clientId));
  assert.ok(back.searchParams.get("code"));
  assert.equal((await consents()).length, remembered, "nothing to remember");
});

test("'Use another account' on the consent page signs in someone else for the same request", async () => {
  const client = codeClient();
  await stack.put(client);
  const agent = new UserAgent();
  const login = await agent.get(request(client.clientId));
  const signedIn = await agent.post(loginUrl(), { ...hiddenFields(login.text), username: USER, password: PASSWORD });
  const consent = await agent.get(signedIn.location as string);
  assert.match(consent.text, /Signed in as <strong>ada<\/strong>/);
  assert.match(
    consent.text,
    /Signed in as <strong>ada<\/strong> ·\s+<button class="link" type="submit" form="consent" name="decision" value="switch">Use another account/,
  );
  const switched = await agent.post(consentUrl(), { ...hiddenFields(consent.text), decision: "switch" });
  assert.equal(switched.status, 303);
  const again = await agent.get(switched.location as string);
  assert.match(again.text, /<h1 id="title">Sign in<\/h1>/);
  const grace = await agent.post(loginUrl(), {
    ...hiddenFields(again.text),
    username: "grace",
    password: "hopper-1906",
  });
  const graceConsent = await agent.get(grace.location as string);
  assert.match(graceConsent.text, /Signed in as <strong>grace<\/strong>/);
  const allowed = await agent.post(consentUrl(), { ...hiddenFields(graceConsent.text), decision: "allow" });
  const callback = new URL(allowed.location as string);
  assert.equal(callback.searchParams.get("state"), "st");
  const config = await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret));
  const tokens = await oauth.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: "st",
  });
  assert.equal((await verifyIndependently(stack, tokens.access_token, "https://orders.example")).sub, "grace");
});
