// Render assertions for the chart's security values: the registry record keys, the
// bundled Redis's password and ACL users, an external Redis's users and CA bundle, and
// the NetworkPolicies. (That the ACLs hold is redis-acl.test.ts, on a real redis-server.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { envOf, find, type KubeObject, podSpec, renderChart } from "./render.ts";

type Policy = KubeObject & {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    ingress: { from?: unknown[]; ports?: { port: string }[] }[];
  };
};
const policies = (objects: KubeObject[]) => find(objects, "NetworkPolicy") as Policy[];
const deployment = (objects: KubeObject[], name: string) => find(objects, "Deployment", name)[0] as KubeObject;

test("registry record keys: the operator manages the Secret, the token server mounts it", async () => {
  const objects = await renderChart();
  assert.equal(
    envOf(deployment(objects, "tollgate-operator")).get("TOLLGATE_REGISTRY_KEYS_SECRET")?.value,
    "tollgate-registry-keys",
  );
  const tokenServer = deployment(objects, "tollgate-token-server");
  assert.equal(envOf(tokenServer).get("TOLLGATE_REGISTRY_KEYS_DIR")?.value, "/var/run/tollgate/registry-keys");
  const spec = podSpec(tokenServer);
  assert.deepEqual(
    (spec.volumes as { name: string; secret?: unknown }[]).find((v) => v.name === "registry-keys")?.secret,
    { secretName: "tollgate-registry-keys", optional: true },
  );
  assert.ok(spec.containers[0]?.volumeMounts?.some((m) => m.name === "registry-keys"));
});

test("bundled Redis: a generated password Secret, ACL users per component, each component its own user", async () => {
  const objects = await renderChart();
  const auth = find(objects, "Secret", "tollgate-redis-auth")[0] as KubeObject & { data: Record<string, string> };
  for (const key of ["operator-password", "token-server-password"])
    assert.match(Buffer.from(auth.data[key] as string, "base64").toString(), /^[A-Za-z0-9]{32}$/);
  const args = podSpec(find(objects, "StatefulSet", "tollgate-redis")[0] as KubeObject).containers[0]?.args ?? [];
  const users = args
    .join(" ")
    .split("--user ")
    .slice(1)
    .map((u) => u.trim().split(" ")[0]);
  assert.deepEqual(users, ["default", "tollgate-operator", "tollgate-token-server"]);
  assert.ok(args.includes(">$(REDIS_OPERATOR_PASSWORD)") && args.includes("%R~tollgate:registry:*"));
  for (const [name, user, key] of [
    ["tollgate-operator", "tollgate-operator", "operator-password"],
    ["tollgate-token-server", "tollgate-token-server", "token-server-password"],
  ] as const) {
    const env = envOf(deployment(objects, name));
    assert.match(env.get("TOLLGATE_REDIS_URL")?.value ?? "", new RegExp(`^redis://${user}:\\$\\(REDIS_PASSWORD\\)@`));
    assert.deepEqual(env.get("REDIS_PASSWORD")?.valueFrom, { secretKeyRef: { name: "tollgate-redis-auth", key } });
  }

  const existing = await renderChart(["redis.bundled.auth.existingSecret=my-redis-auth"]);
  assert.equal(find(existing, "Secret", "tollgate-redis-auth").length, 0, "no generated Secret beside the user's");
  assert.deepEqual(envOf(deployment(existing, "tollgate-operator")).get("REDIS_PASSWORD")?.valueFrom, {
    secretKeyRef: { name: "my-redis-auth", key: "operator-password" },
  });
});

test("external Redis: ACL usernames, per-user password keys, and a CA bundle for rediss://", async () => {
  const objects = await renderChart([
    "redis.mode=external",
    "redis.external.url=rediss://redis.example:6380/0",
    "redis.external.passwordSecret.name=redis-users",
    "redis.external.users.operator.username=tg-op",
    "redis.external.users.operator.passwordKey=op",
    "redis.external.users.tokenServer.username=tg-ts",
    "redis.external.tls.caSecret.name=redis-ca",
  ]);
  assert.equal(find(objects, "StatefulSet").length, 0);
  const operator = envOf(deployment(objects, "tollgate-operator"));
  assert.equal(operator.get("TOLLGATE_REDIS_URL")?.value, "rediss://tg-op:$(REDIS_PASSWORD)@redis.example:6380/0");
  assert.deepEqual(operator.get("REDIS_PASSWORD")?.valueFrom, { secretKeyRef: { name: "redis-users", key: "op" } });
  // The CA is trusted for Redis only, not for every TLS connection the process makes.
  assert.equal(operator.get("TOLLGATE_REDIS_CA_FILE")?.value, "/var/run/tollgate/redis-ca/ca.crt");
  assert.equal(operator.get("NODE_EXTRA_CA_CERTS"), undefined);
  assert.equal(operator.get("TOLLGATE_REDIS_MODE")?.value, "standalone");
  assert.equal(operator.get("TOLLGATE_REDIS_KEY_PREFIX")?.value, "tollgate:");
  const tokenServer = deployment(objects, "tollgate-token-server");
  assert.equal(
    envOf(tokenServer).get("TOLLGATE_REDIS_URL")?.value,
    "rediss://tg-ts:$(REDIS_PASSWORD)@redis.example:6380/0",
  );
  assert.deepEqual(envOf(tokenServer).get("REDIS_PASSWORD")?.valueFrom, {
    secretKeyRef: { name: "redis-users", key: "password" },
  });
  for (const object of [deployment(objects, "tollgate-operator"), tokenServer]) {
    const spec = podSpec(object);
    assert.deepEqual(
      (spec.volumes as { name: string; secret?: unknown }[]).find((v) => v.name === "redis-ca")?.secret,
      {
        secretName: "redis-ca",
      },
    );
    assert.ok(
      spec.containers[0]?.volumeMounts?.some(
        (m) => m.name === "redis-ca" && m.mountPath === "/var/run/tollgate/redis-ca",
      ),
    );
  }
});

test("Sentinel and Cluster: the topology and every host reach both components; the key prefix reaches their env and the bundled ACL rules", async () => {
  for (const [topology, url, expected] of [
    [
      "sentinel",
      "redis://s1:26379,s2:26379,s3:26379/mymaster",
      "redis://tg:$(REDIS_PASSWORD)@s1:26379,s2:26379,s3:26379/mymaster",
    ],
    ["cluster", "rediss://c1:6379,c2:6379", "rediss://tg:$(REDIS_PASSWORD)@c1:6379,c2:6379"],
  ] as const) {
    const objects = await renderChart([
      "redis.mode=external",
      `redis.external.topology=${topology}`,
      // helm --set splits on commas; values.yaml takes the URL as written.
      `redis.external.url=${url.replaceAll(",", "\\,")}`,
      "redis.external.passwordSecret.name=redis-users",
      "redis.external.users.operator.username=tg",
      "redis.external.users.tokenServer.username=tg",
      "redis.keyPrefix=team-a:",
    ]);
    for (const name of ["tollgate-operator", "tollgate-token-server"]) {
      const env = envOf(deployment(objects, name));
      assert.equal(env.get("TOLLGATE_REDIS_MODE")?.value, topology);
      assert.equal(env.get("TOLLGATE_REDIS_URL")?.value, expected);
      assert.equal(env.get("TOLLGATE_REDIS_KEY_PREFIX")?.value, "team-a:");
    }
  }
  await assert.rejects(renderChart(["redis.external.topology=ring"]), /topology/);
  await assert.rejects(renderChart(["redis.keyPrefix=a{b}:"]), /keyPrefix/);

  const bundled = await renderChart(["redis.keyPrefix=team-a:"]);
  const args = podSpec(find(bundled, "StatefulSet", "tollgate-redis")[0] as KubeObject).containers[0]?.args ?? [];
  for (const rule of [
    "~team-a:registry:*",
    "&team-a:registry:*",
    "%R~team-a:registry:*",
    "~team-a:state:*",
    "+spublish",
    "+ssubscribe",
  ])
    assert.ok(args.includes(rule), `${rule} in the bundled ACL rules`);
  assert.ok(!args.some((arg) => arg.includes("tollgate:")), "no rule left on the default prefix");
  assert.equal(envOf(deployment(bundled, "tollgate-token-server")).get("TOLLGATE_REDIS_KEY_PREFIX")?.value, "team-a:");
});

test("NetworkPolicies: on by default; Redis from the two components only; metrics only from metricsFrom", async () => {
  const objects = await renderChart();
  const byName = new Map(policies(objects).map((p) => [p.metadata.name, p]));
  assert.deepEqual([...byName.keys()].sort(), ["tollgate-operator", "tollgate-redis", "tollgate-token-server"]);
  const redis = byName.get("tollgate-redis") as Policy;
  assert.equal(redis.spec.podSelector.matchLabels["app.kubernetes.io/component"], "redis");
  assert.deepEqual(
    ((redis.spec.ingress[0]?.from ?? []) as { podSelector: { matchLabels: Record<string, string> } }[]).map(
      (f) => f.podSelector.matchLabels["app.kubernetes.io/component"],
    ),
    ["operator", "token-server"],
  );
  assert.deepEqual(redis.spec.ingress[0]?.ports, [{ port: "redis" }]);
  assert.deepEqual(byName.get("tollgate-token-server")?.spec.ingress, [{ ports: [{ port: "http" }] }]);
  assert.deepEqual(byName.get("tollgate-operator")?.spec.ingress, []);

  const peer = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
  const scraped = policies(
    await renderChart([
      "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring",
    ]),
  );
  const tokenServer = scraped.find((p) => p.metadata.name === "tollgate-token-server") as Policy;
  assert.deepEqual(tokenServer.spec.ingress[1], { from: [peer], ports: [{ port: "management" }] });
  const operator = scraped.find((p) => p.metadata.name === "tollgate-operator") as Policy;
  assert.deepEqual(operator.spec.ingress, [{ from: [peer], ports: [{ port: "metrics" }] }]);

  assert.deepEqual(policies(await renderChart(["networkPolicy.enabled=false"])), []);
  const external = policies(await renderChart(["redis.mode=external", "redis.external.url=redis://r:6379"]));
  assert.equal(
    external.find((p) => p.metadata.name === "tollgate-redis"),
    undefined,
  );
});
