// The bundled Redis's least privilege, tested on what ships: the chart is rendered, the
// redis container's arguments (its ACL users) and the generated passwords are taken
// from the output, and a real redis-server runs with exactly those arguments. Each
// component connects as the chart configures it (the URL from its env) and does its real
// work through the real code; every other access is refused by Redis.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createClient, type RedisClientType } from "redis";
import { DEFAULT_KEY_PREFIX } from "../../common/redis-connection.ts";
import { RecordKeyRing } from "../../registry/record-keys.ts";
import { RedisRegistry } from "../../registry/redis-registry.ts";
import { registryKeys } from "../../registry/registry-keys.ts";
import { RedisStore } from "../../token-server/state/redis-store.ts";
import { stateKeys } from "../../token-server/state/state-keys.ts";
import { waitFor } from "../harness/processes.ts";
import { removeRedisDir, startRedis, type TestRedis } from "../harness/redis.ts";
import { clientCredentialsRecord } from "../token-server/client-record.ts";
import { envOf, find, podSpec, renderChart } from "./render.ts";

let redis: TestRedis;
const urls: Record<"operator" | "tokenServer", string> = { operator: "", tokenServer: "" };
const opened: RedisClientType[] = [];

/** The rendered URL of a component, pointed at the test's Redis, with the rendered password. */
function componentUrl(rendered: string, password: string, port: number): string {
  const url = new URL(rendered.replace("$(REDIS_PASSWORD)", password));
  url.host = `127.0.0.1:${port}`;
  return url.toString();
}

async function connect(url: string): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  opened.push(client);
  return client;
}

async function refused(what: string, command: () => Promise<unknown>, pattern = /NOPERM/): Promise<void> {
  await assert.rejects(command, pattern, what);
}

before(async () => {
  const objects = await renderChart();
  const statefulSet = find(objects, "StatefulSet", "tollgate-redis")[0];
  assert.ok(statefulSet, "the bundled Redis is rendered");
  const auth = find(objects, "Secret", "tollgate-redis-auth")[0] as unknown as { data: Record<string, string> };
  const password = (key: string) => Buffer.from(auth.data[key] as string, "base64").toString();
  const passwords: Record<string, string> = {
    REDIS_OPERATOR_PASSWORD: password("operator-password"),
    REDIS_TOKEN_SERVER_PASSWORD: password("token-server-password"),
  };
  // What the kubelet does with $(VAR) in args: expand it from the container's env.
  const args = (podSpec(statefulSet).containers[0]?.args ?? [])
    .map((arg) => arg.replace(/\$\((\w+)\)/g, (_, name: string) => passwords[name] ?? `$(${name})`))
    .filter((arg, i, all) => !["--dir", "/data"].includes(arg) || all[i - 1] === "--appendonly");
  redis = await startRedis({ args: args.filter((a) => a !== "/data" && a !== "--dir") });
  for (const [component, deployment] of [
    ["operator", "tollgate-operator"],
    ["tokenServer", "tollgate-token-server"],
  ] as const) {
    const object = find(objects, "Deployment", deployment)[0];
    assert.ok(object);
    const url = envOf(object).get("TOLLGATE_REDIS_URL")?.value as string;
    const key = component === "operator" ? "operator-password" : "token-server-password";
    urls[component] = componentUrl(url, password(key), redis.port);
  }
});

after(async () => {
  for (const client of opened) await client.close().catch(() => {});
  await redis?.stop();
  if (redis) await removeRedisDir(redis);
});

test("the operator writes and reads registry records and nothing else", async () => {
  const keys = await RecordKeyRing.generated();
  const registry = await RedisRegistry.connect(urls.operator, keys, { failFast: true });
  try {
    const record = clientCredentialsRecord("acl-client", "secret-for-acl-test", { subject: "svc-acl" });
    await registry.put(record);
    assert.equal((await registry.get("acl-client"))?.subject, "svc-acl");
    await registry.delete("gone-client", 1);
    // The marker the operator sets once it has written every client (registry loss detection).
    await registry.markInitialised();
    assert.equal(await registry.initialised(), true);
  } finally {
    await registry.close();
  }
  const operator = await connect(urls.operator);
  const state = DEFAULT_KEY_PREFIX + stateKeys.refreshToken("x");
  await refused("read a state key", () => operator.get(state));
  await refused("write a state key", () => operator.set(state, "1"));
  await refused("write outside the registry", () => operator.set("other", "1"));
  await refused("list keys", () => operator.keys("*"));
  await refused("flush", () => operator.flushAll());
  await refused("reconfigure", () => operator.configSet("appendonly", "no"));
  await refused("change ACLs", () => operator.sendCommand(["ACL", "SETUSER", "x", "on"]));
  await refused("publish elsewhere", () => operator.publish("tollgate:state:v1:x", "1"));
  await refused("shard-publish elsewhere", () => operator.sPublish("tollgate:state:v1:x", "1"));
});

test("sharded pub/sub (the registry feed on a Redis Cluster): the operator announces, the token server listens, on the registry's channel only", async () => {
  const operator = await connect(urls.operator);
  const listener = await connect(urls.tokenServer);
  const heard: string[] = [];
  await listener.sSubscribe(registryKeys.changes, (message) => heard.push(message));
  assert.equal(await operator.sPublish(registryKeys.changes, "announced"), 1);
  await waitFor("the sharded message", async () => heard.includes("announced") || undefined, { timeoutMs: 5000 });
  const elsewhere = await connect(urls.tokenServer);
  await refused("listen elsewhere", () => elsewhere.sSubscribe("tollgate:state:v1:x", () => {}));
});

test("the token server reads the registry, follows its changes, keeps its state, and cannot write the registry", async () => {
  const keys = await RecordKeyRing.generated();
  const writer = await RedisRegistry.connect(urls.operator, keys);
  const reader = await RedisRegistry.connect(urls.tokenServer, keys);
  const store = RedisStore.start({ url: urls.tokenServer });
  try {
    const changes: string[] = [];
    await reader.subscribe((change) => changes.push(change.clientId));
    await writer.put(clientCredentialsRecord("followed", "secret-for-acl-test"));
    await waitFor("the change notification", async () => changes.includes("followed") || undefined, {
      timeoutMs: 5000,
    });
    await writer.markInitialised();
    const snapshot = await reader.snapshot();
    assert.ok(snapshot.clients.has("followed"));
    assert.equal(snapshot.initialised, true, "the token server reads the registry's initialised marker");
    assert.equal((await reader.get("followed"))?.clientId, "followed");
    await waitFor("the state store", async () => store.available || undefined, { timeoutMs: 5000 });
    await store.set(stateKeys.revokedJti("j1"), "1", 60);
    assert.equal(await store.get(stateKeys.revokedJti("j1")), "1");
    assert.equal(await store.setIfAbsent(stateKeys.used("a", "b"), "1", 60), true);
    assert.equal(await store.exists(stateKeys.used("a", "b")), true);
    await store.set(stateKeys.authorizationCode("h"), "{}", 60);
    assert.deepEqual(await store.take(stateKeys.authorizationCode("h"), stateKeys.authorizationCodeSpent("h"), 60), {
      value: "{}",
      first: true,
    });
    assert.equal((await store.increment(stateKeys.authFailures("c"), 60)).count, 1);
    const family = stateKeys.familyMembers("f");
    await store.sortedSetAdd(family, [{ member: "rt:1", score: 2_000_000_000 }], 60, {
      dropAtOrBelow: 1,
      guardKey: stateKeys.familyRevoked("f"),
    });
    assert.equal((await store.sortedSetRange(family, 0)).length, 1);
    await store.delete(stateKeys.revokedJti("j1"));
  } finally {
    await store.close();
    await reader.close();
    await writer.close();
  }
  const tokenServer = await connect(urls.tokenServer);
  await refused("write a registry record", () => tokenServer.hSet(registryKeys.clients, "forged", "{}"));
  await refused("delete a registry record", () => tokenServer.hDel(registryKeys.clients, "followed"));
  await refused("bump the revision", () => tokenServer.incr(registryKeys.revision));
  await refused("announce a change", () => tokenServer.publish(registryKeys.changes, "{}"));
  await refused("announce a change on the shard channel", () => tokenServer.sPublish(registryKeys.changes, "{}"));
  await refused("write the registry from a script", () =>
    tokenServer.eval("return redis.call('HSET', KEYS[1], 'forged', '{}')", { keys: [registryKeys.clients] }),
  );
  const forger = await RedisRegistry.connect(urls.tokenServer, await RecordKeyRing.generated(), { failFast: true });
  await refused("write through the registry's own script", () =>
    forger.put(clientCredentialsRecord("forged", "secret-for-acl-test")),
  ).finally(() => forger.close());
  await refused("write outside its keys", () => tokenServer.set("other", "1"));
  await refused("flush", () => tokenServer.flushAll());
  await refused("reconfigure", () => tokenServer.configSet("appendonly", "no"));
  await refused("list keys", () => tokenServer.keys("*"));
});

test("without a password only PING answers; a wrong password is refused", async () => {
  const anonymous = await connect(`redis://127.0.0.1:${redis.port}`);
  assert.equal(await anonymous.ping(), "PONG");
  await refused("read without a password", () => anonymous.get(DEFAULT_KEY_PREFIX + stateKeys.revokedJti("j1")));
  await refused("read the registry without a password", () => anonymous.hGetAll(registryKeys.clients));
  const wrong = new URL(urls.operator);
  wrong.password = "not-the-password";
  const client = createClient({ url: wrong.toString(), socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await assert.rejects(() => client.connect(), /WRONGPASS/);
  client.destroy();
});
