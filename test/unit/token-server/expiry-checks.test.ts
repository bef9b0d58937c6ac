// The token server's own expiry checks, each exercised on a record the store still
// holds past its expiry (a Redis TTL that lags the token's clock): the memory store
// and a fake clock, so the check in the code is what answers, not the store's TTL.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, beforeEach, mock, test } from "node:test";
import { AUTHORIZATION_CODE_LIFETIME_SECONDS, hashAuthorizationCode } from "../../../token-server/authorize/codes.ts";
import { hashOpaqueToken } from "../../../token-server/tokens/opaque-access-token.ts";
import { hashRefreshToken } from "../../../token-server/tokens/refresh-tokens.ts";
import { basicAuth, mapping, record, userLine } from "../support/records.ts";
import { postForm, startUnitStack, type UnitStack } from "../support/token-server.ts";

let stack: UnitStack;
const START = Date.parse("2026-12-01T00:00:00Z");

before(async () => {
  stack = await startUnitStack();
});
after(async () => {
  mock.timers.reset();
  await stack.close();
});
beforeEach(() => {
  mock.timers.reset();
  mock.timers.enable({ apis: ["Date"], now: START });
});

const LAG = 3600;

test("an opaque access token past its exp, still stored, introspects as inactive", async () => {
  const client = record({ accessToken: { lifetimeSeconds: 60, format: "opaque" } });
  await stack.put(client);
  const issued = await postForm(
    `${stack.url}/oauth2/token`,
    { grant_type: "client_credentials" },
    basicAuth(client.clientId),
  );
  assert.equal(issued.status, 200);
  const token = String(issued.body.access_token);
  const hash = hashOpaqueToken(token);
  const claims = await stack.state.opaque.get(hash);
  assert.ok(claims);
  await stack.state.opaque.put(hash, claims, LAG);
  const introspect = () => postForm(`${stack.url}/oauth2/introspect`, { token }, basicAuth(client.clientId));
  assert.equal((await introspect()).body.active, true);
  mock.timers.tick(60_000);
  assert.deepEqual((await introspect()).body, { active: false });
});

test("a refresh token past its expiresAt, still stored, is refused and introspects as inactive", async () => {
  const client = record({
    grantTypes: ["password", "refresh_token"],
    identityMapping: mapping({ users: [userLine("alice", "pw")] }),
    refreshToken: { lifetimeSeconds: 120, issuance: "reuse", forAssertionGrants: false },
  });
  await stack.put(client);
  const issued = await postForm(
    `${stack.url}/oauth2/token`,
    { grant_type: "password", username: "alice", password: "pw" },
    basicAuth(client.clientId),
  );
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const refreshToken = String(issued.body.refresh_token);
  const hash = hashRefreshToken(refreshToken);
  const stored = await stack.state.refresh.get(hash);
  assert.ok(stored);
  await stack.state.refresh.put(hash, stored, LAG);
  mock.timers.tick(120_000);
  const refreshed = await postForm(
    `${stack.url}/oauth2/token`,
    { grant_type: "refresh_token", refresh_token: refreshToken },
    basicAuth(client.clientId),
  );
  assert.equal(refreshed.status, 400);
  assert.equal(refreshed.body.error, "invalid_grant");
  const introspected = await postForm(
    `${stack.url}/oauth2/introspect`,
    { token: refreshToken },
    basicAuth(client.clientId),
  );
  assert.deepEqual(introspected.body, { active: false });
});

test("an authorization code past its expiresAt, still stored, is refused", async () => {
  const client = record({
    grantTypes: ["authorization_code"],
    redirectUris: ["https://app.example/cb"],
    requirePkce: false,
  });
  await stack.put(client);
  const code = randomBytes(32).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  await stack.state.codes.put(
    hashAuthorizationCode(code),
    {
      clientId: client.clientId,
      redirectUri: "https://app.example/cb",
      redirectUriInRequest: true,
      scope: [],
      audience: ["https://orders.example"],
      sub: "alice",
      authTime: now,
      familyId: randomUUID(),
      issuedAt: now,
      expiresAt: now + AUTHORIZATION_CODE_LIFETIME_SECONDS,
    },
    LAG,
  );
  mock.timers.tick(AUTHORIZATION_CODE_LIFETIME_SECONDS * 1000);
  const exchanged = await postForm(
    `${stack.url}/oauth2/token`,
    { grant_type: "authorization_code", code, redirect_uri: "https://app.example/cb" },
    basicAuth(client.clientId),
  );
  assert.equal(exchanged.status, 400);
  assert.equal(exchanged.body.error, "invalid_grant");
  assert.ok(
    stack.logs.some((line) => line.includes("code expired")),
    "refused by the code's expiry check",
  );
});
