// RFC 7009 revocation decisions: one answer for every kind of token presented by a
// client it was not issued to (docs/token-server.md: invalid_grant), and the token
// stays alive for its own client.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { basicAuth, mapping, record, userLine } from "../support/records.ts";
import { postForm, startUnitStack, type UnitStack } from "../support/token-server.ts";

let stack: UnitStack;
before(async () => {
  stack = await startUnitStack();
});
after(() => stack.close());

async function tokensFor(format: "jwt" | "opaque") {
  const owner = record({
    grantTypes: ["password", "refresh_token"],
    identityMapping: mapping({ users: [userLine("alice", "pw")] }),
    accessToken: { lifetimeSeconds: 600, format },
  });
  const other = record();
  await stack.put(owner);
  await stack.put(other);
  const issued = await postForm(
    `${stack.url}/oauth2/token`,
    { grant_type: "password", username: "alice", password: "pw" },
    basicAuth(owner.clientId),
  );
  assert.equal(issued.status, 200);
  return {
    owner,
    other,
    access: String(issued.body.access_token),
    refresh: String(issued.body.refresh_token),
  };
}

for (const format of ["jwt", "opaque"] as const)
  for (const kind of ["access", "refresh"] as const)
    test(`another client revoking a ${format} client's ${kind} token: 400 invalid_grant, and the token lives on`, async () => {
      const tokens = await tokensFor(format);
      const token = tokens[kind];
      const refused = await postForm(`${stack.url}/oauth2/revoke`, { token }, basicAuth(tokens.other.clientId));
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body, {
        error: "invalid_grant",
        error_description: "the token was not issued to this client",
      });
      const introspected = await postForm(
        `${stack.url}/oauth2/introspect`,
        { token },
        basicAuth(tokens.owner.clientId),
      );
      assert.equal(introspected.body.active, true);
    });

test("the owner revoking its refresh token takes the family's access token with it", async () => {
  const tokens = await tokensFor("jwt");
  const revoked = await postForm(
    `${stack.url}/oauth2/revoke`,
    { token: tokens.refresh },
    basicAuth(tokens.owner.clientId),
  );
  assert.equal(revoked.status, 200);
  for (const token of [tokens.refresh, tokens.access]) {
    const introspected = await postForm(`${stack.url}/oauth2/introspect`, { token }, basicAuth(tokens.owner.clientId));
    assert.deepEqual(introspected.body, { active: false });
  }
});

test("an unknown token, of either shape, answers 200", async () => {
  const client = record();
  await stack.put(client);
  for (const token of ["tgrt_unknown", "tgat_unknown", "not-a-token", "a.b.c"]) {
    const answer = await postForm(`${stack.url}/oauth2/revoke`, { token }, basicAuth(client.clientId));
    assert.equal(answer.status, 200, token);
  }
});
