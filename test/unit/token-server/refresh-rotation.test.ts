// Refresh-token lifetimes under rotation, on a fake clock (was two wall-clock sleeps of
// 4.8 s in the integration tests): rotate keeps the original expiry, rotateAndReset
// gives the full lifetime again.
import assert from "node:assert/strict";
import { after, before, mock, test } from "node:test";
import type { ClientRecord } from "../../../registry/record.ts";
import { basicAuth, mapping, record, userLine } from "../support/records.ts";
import { postForm, startUnitStack, type UnitStack } from "../support/token-server.ts";

let stack: UnitStack;
before(async () => {
  stack = await startUnitStack();
  mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-01T00:00:00Z") });
});
after(async () => {
  mock.timers.reset();
  await stack.close();
});

const USERS = [userLine("alice", "pw")];

async function client(issuance: ClientRecord["refreshToken"]["issuance"]): Promise<ClientRecord> {
  const c = record({
    grantTypes: ["password", "refresh_token"],
    identityMapping: mapping({ users: USERS }),
    refreshToken: { lifetimeSeconds: 4, issuance, forAssertionGrants: false },
  });
  await stack.put(c);
  return c;
}

const token = (c: ClientRecord, form: Record<string, string>) =>
  postForm(`${stack.url}/oauth2/token`, form, basicAuth(c.clientId));

test("rotate keeps the original expiry; rotateAndReset gives the full lifetime again", async () => {
  const [rotating, resetting] = [await client("rotate"), await client("rotateAndReset")];
  const signIn = (c: ClientRecord) => token(c, { grant_type: "password", username: "alice", password: "pw" });
  const [a, b] = [await signIn(rotating), await signIn(resetting)];
  mock.timers.tick(2200);
  const a2 = await token(rotating, { grant_type: "refresh_token", refresh_token: String(a.body.refresh_token) });
  const b2 = await token(resetting, { grant_type: "refresh_token", refresh_token: String(b.body.refresh_token) });
  assert.equal(a2.status, 200);
  assert.equal(b2.status, 200);
  mock.timers.tick(2600);
  // 4.8 s after sign-in: past the first token's expiry, inside a reset one's.
  const expired = await token(rotating, { grant_type: "refresh_token", refresh_token: String(a2.body.refresh_token) });
  assert.equal(expired.status, 400);
  assert.equal(expired.body.error, "invalid_grant");
  const reset = await token(resetting, { grant_type: "refresh_token", refresh_token: String(b2.body.refresh_token) });
  assert.equal(reset.status, 200, JSON.stringify(reset.body));
});
