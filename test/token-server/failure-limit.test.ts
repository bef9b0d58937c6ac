// Repeated authentication failures lock a client out (client-auth/failure-limiter.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "../harness/processes.ts";
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

test("the lock is per source: an attacker's wrong secrets do not lock the client out from where it really calls", async () => {
  // The requests come through loopback as if through a proxy that names their source.
  const proxied = await startTokenServerOn(stack.redis.url, stack.recordKeys, {
    authFailureLimit: 3,
    authFailureWindowSeconds: 60,
    trustedProxies: ["127.0.0.1/32"],
  });
  try {
    const client = clientRecord();
    await stack.put(client);
    await waitFor("the second server to know the client", async () => proxied.clients.get(client.clientId));
    const from = (source: string, path: string, body: string, secret: string) =>
      post(`${proxied.url}${path}`, body, {
        ...FORM,
        authorization: basic(client.clientId, secret),
        "x-forwarded-for": `10.9.9.9, ${source}`,
      });
    const attacker = "198.51.100.66";
    for (let i = 0; i < 5; i++) await from(attacker, "/oauth2/token", "grant_type=client_credentials", "wrong");
    // Once a minute, for several windows' worth, would change nothing: the attacker's own source is locked...
    const locked = await from(attacker, "/oauth2/token", "grant_type=client_credentials", client.secret);
    assert.match((locked.body as { error_description: string }).error_description, /^too many failed/);
    // ...while the client, calling from its own address, uses every endpoint.
    const home = "203.0.113.5";
    assert.equal((await from(home, "/oauth2/token", "grant_type=client_credentials", client.secret)).status, 200);
    assert.equal((await from(home, "/oauth2/introspect", "token=x", client.secret)).status, 200);
    assert.equal((await from(home, "/oauth2/revoke", "token=x", client.secret)).status, 200);
  } finally {
    await proxied.close();
  }
});
