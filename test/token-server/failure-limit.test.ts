// Repeated authentication failures lock a client out (client-auth/failure-limiter.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createLogger } from "../../common/logger.ts";
import { KeyRing } from "../../token-server/key-ring.ts";
import { type RunningTokenServer, startTokenServer } from "../../token-server/server.ts";
import { RedisTokenState } from "../../token-server/state/redis-state.ts";
import { waitFor } from "../harness/processes.ts";
import { basic, clientRecord, post, type Stack, startStack } from "./fixtures.ts";

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
  const state = RedisTokenState.start({ url: stack.redis.url });
  await waitFor("replica state", async () => state.available || undefined);
  let replica: RunningTokenServer | undefined;
  try {
    const { RedisRegistry } = await import("../../registry/redis-registry.ts");
    const reader = await RedisRegistry.connect(stack.redis.url);
    replica = await startTokenServer({
      host: "127.0.0.1",
      port: 0,
      registry: reader,
      state,
      keys: await KeyRing.generated("ES256"),
      log: createLogger({ level: "error", write: () => {} }),
      settings: { authFailureLimit: 3, authFailureWindowSeconds: 60 },
    });
    for (let i = 0; i < 3; i++) await attempt(stack.url, client.clientId, "wrong");
    assert.equal((await attempt(replica.url, client.clientId, "wrong")).status, 401);
    const locked = await attempt(replica.url, client.clientId, client.secret);
    assert.match((locked.body as { error_description: string }).error_description, /^too many failed/);
    await replica.close();
    await reader.close();
  } finally {
    await state.close();
  }
});
