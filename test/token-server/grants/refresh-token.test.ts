// RFC 6749 §6 refresh tokens (RFC 9700 §4.14): the three issuance modes, reuse
// detection revoking the family with its access tokens, scope narrowing, expiry,
// revocation (RFC 7009) cascading, client binding, and the client's own switches
// (revokeTokensIssuedBefore, disabled, deletion). Grants start with the password grant
// (a public client's with the authorization code flow: the password grant refuses it).
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import bcrypt from "bcryptjs";
import jwt from "jsonwebtoken";
import * as oauth from "openid-client";
import { createClient } from "redis";
import type { ClientRecord } from "../../../registry/record.ts";
import { rememberCredential } from "../../harness/log-capture.ts";
import { waitFor } from "../../harness/processes.ts";
import { authorizeUrl, codeClient, signInAndAllow, UserAgent } from "../authorization-code/support.ts";
import {
  basic,
  clientRecord,
  identityMapping,
  post,
  type Stack,
  startStack,
  verifyIndependently,
} from "../fixtures.ts";
import { tokenRequest } from "./support.ts";

type Client = ClientRecord & { secret: string };
let stack: Stack;
let resourceServer: Client;
const USERS = [`alice:${bcrypt.hashSync(rememberCredential("alice-pw"), 4)}`];

before(async () => {
  stack = await startStack();
  resourceServer = clientRecord({ grantTypes: [] });
  await stack.put(resourceServer);
});
after(async () => {
  await stack?.close();
});

async function client(overrides: Partial<ClientRecord> = {}): Promise<Client> {
  const record = clientRecord({
    grantTypes: ["password", "refresh_token"],
    identityMapping: identityMapping({ users: USERS }),
    ...overrides,
  });
  await stack.put(record);
  return record;
}

async function signIn(record: Client, scope = "orders.read orders.write") {
  const result = await tokenRequest(stack.url, record, {
    grant_type: "password",
    username: "alice",
    password: "alice-pw",
    scope,
  });
  assert.equal(result.status, 200, JSON.stringify(result.body));
  return { access: result.body.access_token as string, refresh: result.body.refresh_token as string };
}

/**
 * A public client's refresh token, the way a public client gets one: the authorization
 * code flow with PKCE (the password grant refuses public clients).
 */
async function publicClientRefreshToken(
  overrides: Partial<ClientRecord> = {},
): Promise<{ record: Client; token: string }> {
  const record = codeClient({
    clientType: "public",
    tokenEndpointAuthMethod: "none",
    secrets: [],
    skipConsent: true,
    ...overrides,
  });
  await stack.put(record);
  const verifier = oauth.randomPKCECodeVerifier();
  const redirectUri = "https://app.example/callback";
  const back = await signInAndAllow(
    new UserAgent(),
    stack,
    authorizeUrl(stack, {
      response_type: "code",
      client_id: record.clientId,
      redirect_uri: redirectUri,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    }),
  );
  const exchanged = await post(
    `${stack.url}/oauth2/token`,
    new URLSearchParams({
      grant_type: "authorization_code",
      code: back.searchParams.get("code") ?? "",
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: record.clientId,
    }).toString(),
  );
  assert.equal(exchanged.status, 200, exchanged.text);
  return { record, token: (exchanged.body as { refresh_token: string }).refresh_token };
}

function refresh(record: Client, token: string, scope?: string) {
  return tokenRequest(stack.url, record, {
    grant_type: "refresh_token",
    refresh_token: token,
    ...(scope === undefined ? {} : { scope }),
  });
}

async function active(token: string): Promise<boolean> {
  const response = await post(`${stack.url}/oauth2/introspect`, `token=${encodeURIComponent(token)}`, {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(resourceServer.clientId, resourceServer.secret),
  });
  assert.equal(response.status, 200);
  return (response.body as { active: boolean }).active;
}

/** The whole RFC 7662 answer, asked by the resource server. */
async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await post(`${stack.url}/oauth2/introspect`, `token=${encodeURIComponent(token)}`, {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(resourceServer.clientId, resourceServer.secret),
  });
  assert.equal(response.status, 200);
  return response.body as Record<string, unknown>;
}

async function revoke(record: Client, token: string) {
  return post(`${stack.url}/oauth2/revoke`, `token=${encodeURIComponent(token)}`, {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(record.clientId, record.secret),
  });
}

const INVALID = "the refresh token is invalid, expired or revoked";

test("rotate: each refresh hands out a new refresh token; the grant's subject and scope carry over", async () => {
  const record = await client({
    refreshToken: { lifetimeSeconds: 600, issuance: "rotate", forAssertionGrants: false },
  });
  const first = await signIn(record);
  const second = await refresh(record, first.refresh);
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.notEqual(second.body.refresh_token, first.refresh);
  assert.equal(second.body.scope, "orders.read orders.write");
  const claims = await verifyIndependently(stack, second.body.access_token as string, "https://orders.example");
  assert.equal(claims.sub, "alice");
  const third = await refresh(record, second.body.refresh_token as string);
  assert.equal(third.status, 200);
});

test("only hashes are stored: the token itself appears nowhere in Redis", async () => {
  const record = await client();
  const { refresh: token } = await signIn(record);
  const redis = createClient({ url: stack.redis.url });
  await redis.connect();
  const hash = createHash("sha256").update(token).digest("base64url");
  const stored = JSON.parse((await redis.get(`tollgate:state:v1:refresh:${hash}`)) as string);
  assert.equal(stored.clientId, record.clientId);
  assert.equal(stored.sub, "alice");
  const ttl = await redis.ttl(`tollgate:state:v1:refresh:${hash}`);
  assert.ok(ttl > 3590 && ttl <= 3600, `ttl ${ttl}`);
  for (const key of await redis.keys("tollgate:state:v1:*")) {
    const type = await redis.type(key);
    const values = type === "list" ? await redis.lRange(key, 0, -1) : type === "string" ? [await redis.get(key)] : [];
    for (const value of values) assert.ok(!String(value).includes(token.slice(5)), `${key} holds the token`);
  }
  await redis.close();
});

test("reuse: the same refresh token comes back and keeps working", async () => {
  const record = await client({ refreshToken: { lifetimeSeconds: 600, issuance: "reuse", forAssertionGrants: false } });
  const { refresh: token } = await signIn(record);
  for (let i = 0; i < 3; i++) {
    const result = await refresh(record, token);
    assert.equal(result.status, 200);
    assert.equal(result.body.refresh_token, token);
  }
});

// Rotate vs rotateAndReset lifetimes: test/unit/token-server/refresh-rotation.test.ts (a fake clock).

test("reuse of a rotated-out token revokes the family: every refresh and access token of it dies", async () => {
  const record = await client();
  const first = await signIn(record);
  const second = await refresh(record, first.refresh);
  const third = await refresh(record, second.body.refresh_token as string);
  assert.equal(third.status, 200);
  const accessTokens = [first.access, second.body.access_token, third.body.access_token] as string[];
  for (const token of accessTokens) assert.equal(await active(token), true);
  // The attacker (or the victim) presents the rotated-out first token again.
  const replay = await refresh(record, first.refresh);
  assert.equal(replay.status, 400);
  assert.deepEqual(replay.body, {
    error: "invalid_grant",
    error_description: "the refresh token was already used; every token issued from this grant is now revoked",
  });
  assert.equal((await refresh(record, third.body.refresh_token as string)).body.error_description, INVALID);
  for (const token of accessTokens) assert.equal(await active(token), false);
  // Another grant of the same user and client is a different family and lives on.
  const other = await signIn(record);
  assert.equal((await refresh(record, other.refresh)).status, 200);
});

test("two concurrent refreshes with one token: one is reuse, so nothing either got survives", async () => {
  const record = await client();
  const { refresh: token, access } = await signIn(record);
  const results = await Promise.all([refresh(record, token), refresh(record, token)]);
  assert.ok(
    results.some(
      (r) =>
        r.body.error_description ===
        "the refresh token was already used; every token issued from this grant is now revoked",
    ),
    JSON.stringify(results.map((r) => r.body)),
  );
  // Whichever finished first, the family is revoked: whatever was handed out is dead.
  for (const result of results.filter((r) => r.status === 200)) {
    assert.equal(await active(result.body.access_token as string), false);
    assert.equal((await refresh(record, result.body.refresh_token as string)).body.error_description, INVALID);
  }
  assert.equal(await active(access), false);
});

test("scope: a refresh may narrow, never widen; the grant keeps its scope", async () => {
  const record = await client();
  const { refresh: token } = await signIn(record, "orders.read orders.write");
  const narrow = await refresh(record, token, "orders.read");
  assert.equal(narrow.status, 200);
  assert.equal(narrow.body.scope, "orders.read");
  const claims = await verifyIndependently(stack, narrow.body.access_token as string, "https://orders.example");
  assert.equal(claims.scope, "orders.read");
  const full = await refresh(record, narrow.body.refresh_token as string);
  assert.equal(full.body.scope, "orders.read orders.write", "the successor carries the original scope (§6)");

  const small = await signIn(record, "orders.read");
  const wider = await refresh(record, small.refresh, "orders.read orders.write");
  assert.equal(wider.status, 400);
  assert.deepEqual(wider.body, {
    error: "invalid_scope",
    error_description:
      "scope 'orders.write' was not granted with this refresh token; a refresh may only narrow the scope",
  });
});

test("a refresh token is bound to its client", async () => {
  const owner = await client();
  const thief = await client();
  const { refresh: token } = await signIn(owner);
  const stolen = await refresh(thief, token);
  assert.deepEqual(stolen.body, { error: "invalid_grant", error_description: INVALID });
  assert.equal((await refresh(owner, token)).status, 200);
  const revoked = await revoke(thief, token);
  assert.equal(revoked.status, 400, "nor can another client revoke it");
  assert.deepEqual(revoked.body, {
    error: "invalid_grant",
    error_description: "the token was not issued to this client",
  });
});

test("revoking a refresh token (RFC 7009) revokes its family, access tokens included; JWT and opaque", async () => {
  for (const format of ["jwt", "opaque"] as const) {
    const record = await client({ accessToken: { lifetimeSeconds: 600, format } });
    const first = await signIn(record);
    const second = await refresh(record, first.refresh);
    const access = [first.access, second.body.access_token as string];
    for (const token of access) assert.equal(await active(token), true, format);
    const response = await revoke(record, second.body.refresh_token as string);
    assert.equal(response.status, 200);
    assert.equal(response.text, "");
    for (const token of access) assert.equal(await active(token), false, format);
    assert.equal((await refresh(record, second.body.refresh_token as string)).body.error_description, INVALID);
    assert.equal((await revoke(record, second.body.refresh_token as string)).status, 200, "revoking again is fine");
  }
});

test("revokeTokensIssuedBefore, disabled and deletion end refresh tokens", async () => {
  const record = await client();
  const { refresh: token } = await signIn(record);
  // A revoke-before a second ahead covers a grant made this second: no need to wait for the clock.
  await stack.put({
    ...record,
    revokeTokensIssuedBefore: Math.floor(Date.now() / 1000) + 1,
    updatedAt: Date.now() + 1e6,
  });
  assert.deepEqual((await refresh(record, token)).body, { error: "invalid_grant", error_description: INVALID });

  const disabledLater = await client();
  const grant = await signIn(disabledLater);
  await stack.put({ ...disabledLater, disabled: true, updatedAt: Date.now() + 2e6 });
  const refused = await refresh(disabledLater, grant.refresh);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error, "invalid_client");

  const deletedLater = await client();
  const kept = await signIn(deletedLater);
  await stack.registry.delete(deletedLater.clientId, Math.floor(Date.now() / 1000));
  await waitFor(
    "the token server to see the deletion",
    async () => stack.running.clients.get(deletedLater.clientId) === undefined || undefined,
    { timeoutMs: 5000, intervalMs: 5 },
  );
  assert.equal((await refresh(deletedLater, kept.refresh)).status, 401);
  // Re-created under the same ID: the grant from before the deletion stays dead.
  await stack.put({ ...deletedLater, updatedAt: Date.now() + 3e6 });
  assert.deepEqual((await refresh(deletedLater, kept.refresh)).body, {
    error: "invalid_grant",
    error_description: INVALID,
  });
});

test("introspection (RFC 7662) reports a live refresh token, and inactive once rotated out or revoked", async () => {
  const record = await client({
    refreshToken: { lifetimeSeconds: 600, issuance: "rotate", forAssertionGrants: false },
  });
  const first = await signIn(record);
  const before = Math.floor(Date.now() / 1000);
  const live = await introspect(first.refresh);
  assert.deepEqual(Object.keys(live).sort(), [
    "active",
    "client_id",
    "exp",
    "iat",
    "iss",
    "scope",
    "sub",
    "token_type",
  ]);
  assert.equal(live.active, true);
  assert.equal(live.token_type, "refresh_token");
  assert.equal(live.client_id, record.clientId);
  assert.equal(live.sub, "alice");
  assert.equal(live.scope, "orders.read orders.write");
  assert.equal(live.iss, stack.url);
  assert.ok(Math.abs((live.iat as number) - before) <= 1, `iat ${live.iat}`);
  assert.equal((live.exp as number) - (live.iat as number), 600);

  const second = await refresh(record, first.refresh, "orders.read");
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.deepEqual(await introspect(first.refresh), { active: false }, "rotated out");
  const successor = await introspect(second.body.refresh_token as string);
  assert.equal(successor.active, true);
  assert.equal(successor.scope, "orders.read orders.write", "the grant keeps its scope");
  assert.equal(successor.exp, live.exp, "rotate keeps the original expiry");

  assert.equal((await revoke(record, second.body.refresh_token as string)).status, 200);
  assert.deepEqual(await introspect(second.body.refresh_token as string), { active: false }, "revoked");
});

test("introspection of a refresh token: inactive when expired, its client disabled or revoked-before", async () => {
  // Expiry is in whole seconds (exp = issue second + lifetime), so a 1 s token can be dead a
  // millisecond after it is issued; 2 s leaves it at least one second of life to be seen active.
  const shortLived = await client({
    refreshToken: { lifetimeSeconds: 2, issuance: "reuse", forAssertionGrants: false },
  });
  const expiring = await signIn(shortLived);
  assert.equal((await introspect(expiring.refresh)).active, true);

  const disabledLater = await client();
  const grant = await signIn(disabledLater);
  assert.equal((await introspect(grant.refresh)).active, true);
  await stack.put({ ...disabledLater, disabled: true, updatedAt: Date.now() + 4e6 });
  assert.deepEqual(await introspect(grant.refresh), { active: false }, "client disabled");
  await stack.put({ ...disabledLater, disabled: false, updatedAt: Date.now() + 5e6 });
  assert.equal((await introspect(grant.refresh)).active, true, "enabled again: the grant was never revoked");

  const revokedBefore = await client();
  const old = await signIn(revokedBefore);
  await stack.put({
    ...revokedBefore,
    revokeTokensIssuedBefore: Math.floor(Date.now() / 1000) + 1,
    updatedAt: Date.now() + 6e6,
  });
  assert.deepEqual(await introspect(old.refresh), { active: false }, "revokeTokensIssuedBefore");

  // Its short life ends on the clock: polled, not slept for.
  await waitFor("the short-lived refresh token to expire", async () => !(await active(expiring.refresh)) || undefined, {
    timeoutMs: 5000,
    intervalMs: 50,
  });
  assert.deepEqual(await introspect(expiring.refresh), { active: false }, "expired");
  assert.deepEqual(await introspect("tgrt_unknown"), { active: false }, "unknown");
});

test("assertion grants get a refresh token only when the client opts in (forAssertionGrants)", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k" };
  const grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  const mapping = {
    jwtIssuers: [{ issuer: "https://idp.example", jwks: { keys: [jwk] }, subjectClaim: "sub", algorithms: ["ES256"] }],
    samlIdps: [],
    claimMappings: [{ from: "email", to: "email" }],
    audiences: [],
    maxAssertionAgeSeconds: 300,
  };
  const assertion = () =>
    jwt.sign(
      { iss: "https://idp.example", sub: "dave", aud: stack.url, jti: randomUUID(), email: "dave@example.com" },
      privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      { algorithm: "ES256", keyid: "k", expiresIn: 60 },
    );
  for (const forAssertionGrants of [false, true]) {
    const record = await client({
      grantTypes: [grantType, "refresh_token"],
      identityMapping: mapping,
      refreshToken: { lifetimeSeconds: 600, issuance: "rotate", forAssertionGrants },
    });
    const result = await tokenRequest(stack.url, record, { grant_type: grantType, assertion: assertion() });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(result.body.refresh_token !== undefined, forAssertionGrants);
    if (forAssertionGrants) {
      const refreshed = await refresh(record, result.body.refresh_token as string);
      const claims = await verifyIndependently(stack, refreshed.body.access_token as string, "https://orders.example");
      assert.equal(claims.sub, "dave");
      assert.equal(claims.email, "dave@example.com", "mapped claims carry over to refreshed access tokens");
    }
  }
});

test("a public client's refresh tokens rotate even when registered as reuse (RFC 9700 §4.14.2)", async () => {
  const { record, token: first } = await publicClientRefreshToken({
    refreshToken: { lifetimeSeconds: 600, issuance: "reuse", forAssertionGrants: false },
  });
  const form = (fields: Record<string, string>) =>
    post(`${stack.url}/oauth2/token`, new URLSearchParams({ client_id: record.clientId, ...fields }).toString());
  const refreshed = await form({ grant_type: "refresh_token", refresh_token: first });
  assert.equal(refreshed.status, 200, refreshed.text);
  assert.notEqual((refreshed.body as { refresh_token: string }).refresh_token, first);
  const replay = await form({ grant_type: "refresh_token", refresh_token: first });
  assert.equal((replay.body as { error: string }).error, "invalid_grant");
});

test("a public client may introspect its own refresh token, not another client's", async () => {
  const { record, token: own } = await publicClientRefreshToken();
  const form = (fields: Record<string, string>) =>
    post(
      `${stack.url}/oauth2/${fields.token ? "introspect" : "token"}`,
      new URLSearchParams({ client_id: record.clientId, ...fields }).toString(),
    );
  const other = (await signIn(await client())).refresh;
  const mine = await form({ token: own });
  assert.equal(mine.status, 200, mine.text);
  assert.equal((mine.body as { active: boolean; token_type: string }).token_type, "refresh_token");
  assert.equal((mine.body as { active: boolean }).active, true);
  assert.equal((await introspect(other)).active, true, "live, for a confidential caller");
  assert.equal((await form({ token: other })).text, '{"active":false}');
});
