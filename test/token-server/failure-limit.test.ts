// Repeated authentication failures lock a client out (client-auth/failure-limiter.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { basic, clientRecord, post, type Stack, startStack, startTokenServerOn } from "./fixtures.ts";

let stack: Stack;
const FORM = { "content-type": "application/x-www-form-urlencoded" };
before(async () => {
  stack = await startStack({ authFailureLimit: 3, authFailureWindowSeconds: 60 });
});
after(async () => {
  await stack?.close();
});

const attempt = (url: string, id: string, secret: string) =>
  post(`${url}/oauth2/token`, "grant_type=client_credentials", { ...FORM, authorization: basic(id, secret) });

test("after 3 failures the client is locked out, even with the right secret; other clients are not", async () => {
  const client = clientRecord();
  const bystander = clientRecord();
  await stack.put(client);
  await stack.put(bystander);
  for (let i = 0; i < 3; i++) assert.equal((await attempt(stack.url, client.clientId, "wrong")).status, 401);
  const locked = await attempt(stack.url, client.clientId, client.secret);
  assert.equal(locked.status, 401);
  assert.match(
    (locked.body as { error_description: string }).error_description,
    /^too many failed authentication attempts for this client; retry after \d+ seconds$/,
  );
  assert.equal((locked.body as { error: string }).error, "invalid_client");
  const retryAfter = Number(locked.headers.get("retry-after"));
  assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.equal(locked.headers.get("www-authenticate"), 'Basic realm="tollgate"');
  assert.equal((await attempt(stack.url, bystander.clientId, bystander.secret)).status, 200);
});

test("the count is shared through Redis: a second replica locks the client on its first failure past the limit", async () => {
  const client = clientRecord();
  await stack.put(client);
  const replica = await startTokenServerOn(stack.redis.url, stack.recordKeys, {
    authFailureLimit: 3,
    authFailureWindowSeconds: 60,
  });
  try {
    for (let i = 0; i < 3; i++) await attempt(stack.url, client.clientId, "wrong");
    assert.equal((await attempt(replica.url, client.clientId, "wrong")).status, 401);
    const locked = await attempt(replica.url, client.clientId, client.secret);
    assert.match((locked.body as { error_description: string }).error_description, /^too many failed/);
  } finally {
    await replica.close();
  }
});
