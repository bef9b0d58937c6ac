// One subject namespace per identity source (token-server/identity-source.ts): a client
// with several sources issues tokens whose `sub` names the source; a client with one
// keeps plain subjects; no person may take the client's own identity.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { decodeJwt } from "jose";
import type { ClientRecord } from "../../../registry/record.ts";
import { basicAuth, mapping, record, userLine } from "../support/records.ts";
import { postForm, startUnitStack, type UnitStack } from "../support/token-server.ts";

let stack: UnitStack;
before(async () => {
  stack = await startUnitStack();
});
after(async () => {
  await stack.close();
});

const USERS = [userLine("svc-hub", "pw"), userLine("frank", "pw")];

async function client(grantTypes: ClientRecord["grantTypes"]): Promise<ClientRecord> {
  const c = record({ grantTypes, subject: "svc-hub", identityMapping: mapping({ users: USERS }) });
  await stack.put(c);
  return c;
}

const token = (c: ClientRecord, form: Record<string, string>) =>
  postForm(`${stack.url}/oauth2/token`, form, basicAuth(c.clientId));
const subOf = (answer: { body: Record<string, unknown> }) => decodeJwt(String(answer.body.access_token)).sub;

test("client credentials and a password directory on one client: the same name, two subjects", async () => {
  const c = await client(["client_credentials", "password"]);
  assert.equal(subOf(await token(c, { grant_type: "client_credentials" })), "client|svc-hub");
  assert.equal(subOf(await token(c, { grant_type: "password", username: "frank", password: "pw" })), "users|frank");
});

test("a user named like the client's service identity (subject or client_id) cannot sign in", async () => {
  const c = await client(["client_credentials", "password"]);
  const answer = await token(c, { grant_type: "password", username: "svc-hub", password: "pw" });
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error, "invalid_grant");
  assert.equal(
    answer.body.error_description,
    "the subject names this client's own identity, which no user or assertion may claim",
  );
  const byId = await token(c, { grant_type: "password", username: c.clientId, password: "pw" });
  assert.equal(byId.status, 400);
});

test("a client with one identity source keeps plain subjects", async () => {
  const c = await client(["password"]);
  assert.equal(subOf(await token(c, { grant_type: "password", username: "frank", password: "pw" })), "frank");
  const service = await client(["client_credentials"]);
  assert.equal(subOf(await token(service, { grant_type: "client_credentials" })), "svc-hub");
});
