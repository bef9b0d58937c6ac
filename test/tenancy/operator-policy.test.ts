// The operator's side of tenancy, with no admission policy in the way (as when a client
// predates a policy, or the admission policies are off): the subject confinement and
// OAuthClientPolicies decide whether a client is registered, a policy or namespace change
// re-checks clients that already exist (PolicyDenied, the record gone from Redis, the
// tokens dead), and every token says which namespace declared its client.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { createClient as createRedisClient } from "redis";
import type { OAuthClientPolicySpec } from "../../api/v1alpha1/oauthclientpolicy.ts";
import { registryKeys } from "../../registry/registry-keys.ts";
import { type OperatorStack, startOperatorStack } from "../e2e/stack.ts";
import { api } from "../harness/kube-api.ts";
import {
  condition,
  createClient,
  createNamespace,
  getSecret,
  oauthClient,
  type World,
  waitForEvent,
  waitForReady,
  waitForReason,
  waitForRecord,
} from "../operator/support.ts";

let stack: OperatorStack;
let world: World;
let redis: ReturnType<typeof createRedisClient>;
let introspector: oauth.Configuration;

const discover = (clientId: string, secret: string) =>
  oauth.discovery(new URL(stack.issuer), clientId, undefined, oauth.ClientSecretBasic(secret), {
    execute: [oauth.allowInsecureRequests],
  });

/** Whether Redis itself holds a registry record for the client (not through the registry's reader). */
const recordInRedis = async (clientId: string) => (await redis.hExists(registryKeys.clients, clientId)) === 1;

async function putPolicy(name: string, spec: OAuthClientPolicySpec): Promise<void> {
  const path = `/apis/tollgate.dev/v1alpha1/oauthclientpolicies/${name}`;
  const res = await api(
    world.cp.kubeConfig,
    "PATCH",
    path,
    { apiVersion: "tollgate.dev/v1alpha1", kind: "OAuthClientPolicy", metadata: { name }, spec },
    { contentType: "application/apply-patch+yaml", query: { fieldManager: "platform-team", force: "true" } },
  );
  assert.ok(res.status === 200 || res.status === 201, JSON.stringify(res.body));
}

async function labelNamespace(namespace: string, labels: Record<string, string | null>): Promise<void> {
  const res = await api(
    world.cp.kubeConfig,
    "PATCH",
    `/api/v1/namespaces/${namespace}`,
    { metadata: { labels } },
    { contentType: "application/merge-patch+json" },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

before(async () => {
  // The operator's default: the confinement on (the other operator tests turn it off).
  stack = await startOperatorStack({ subjectConfinement: true });
  world = stack.world;
  redis = createRedisClient({ url: world.redis.url });
  await redis.connect();
  const ns = await createNamespace(world, "rs");
  const rs = await stack.apply(ns, "resource-server", { grantTypes: ["client_credentials"] });
  introspector = await discover(rs.clientId, rs.clientSecret ?? "");
});

after(async () => {
  await redis?.quit();
  await stack?.close();
});

test("by default a subject stays in its namespace: another namespace's subject is PolicyDenied, with no Secret and no record", async () => {
  const ns = await createNamespace(world, "confined");
  await createClient(world, oauthClient(ns, "thief", { grantTypes: ["client_credentials"], subject: "payments/svc" }));
  const denied = await waitForReason(world, ns, "thief", "PolicyAllowed", "PolicyDenied");
  assert.equal(condition(denied, "PolicyAllowed")?.status, "False");
  assert.equal(condition(denied, "Ready")?.status, "False");
  assert.equal(condition(denied, "Ready")?.reason, "PolicyDenied");
  assert.match(
    condition(denied, "Ready")?.message ?? "",
    new RegExp(`subject payments/svc is outside namespace ${ns}`),
  );
  assert.equal(condition(denied, "ClientIdAvailable")?.status, "Unknown");
  await waitForEvent(world, ns, "thief", "PolicyDenied", "Warning");
  assert.equal(await recordInRedis(`thief.${ns}`), false);
  assert.equal(await getSecret(world, ns, "thief-oauth-client"), undefined);

  // Its own namespace's subject is fine.
  await createClient(world, oauthClient(ns, "own", { grantTypes: ["client_credentials"], subject: `${ns}/svc` }));
  const ready = await waitForReady(world, ns, "own");
  assert.equal(condition(ready, "PolicyAllowed")?.status, "True");
  assert.equal(await recordInRedis(`own.${ns}`), true);
});

test("tokens and introspection carry the client's namespace", async () => {
  const ns = await createNamespace(world, "claims");
  const { clientId, clientSecret } = await stack.apply(ns, "orders", { grantTypes: ["client_credentials"] });
  assert.equal((await world.registry.get(clientId))?.namespace, ns);
  const { access_token } = await oauth.clientCredentialsGrant(await discover(clientId, clientSecret ?? ""));
  const payload = JSON.parse(Buffer.from(access_token.split(".")[1] ?? "", "base64url").toString("utf8"));
  assert.equal(payload["tollgate.dev/namespace"], ns);
  assert.equal(payload.sub, clientId);
  const introspection = await oauth.tokenIntrospection(introspector, access_token);
  assert.equal(introspection.active, true);
  assert.equal(introspection["tollgate.dev/namespace"], ns);
});

test("a policy change denies an existing client: PolicyDenied, its record gone from Redis, its tokens inactive; allowed again, it returns", async () => {
  const ns = await createNamespace(world, "payments");
  await labelNamespace(ns, { "tollgate.dev/subject-confinement": "off" });
  const policy = `payments-${ns}`;
  await putPolicy(policy, { namespaces: { names: [ns] }, subjects: ["svc-payments"] });
  const { clientId, clientSecret } = await stack.apply(ns, "sync", {
    grantTypes: ["client_credentials"],
    subject: "svc-payments",
  });
  assert.equal(await recordInRedis(clientId), true);
  const config = await discover(clientId, clientSecret ?? "");
  const { access_token } = await oauth.clientCredentialsGrant(config);
  assert.equal((await oauth.tokenIntrospection(introspector, access_token)).active, true);

  await putPolicy(policy, { namespaces: { names: [ns] }, subjects: ["svc-orders"] });
  const denied = await waitForReason(world, ns, "sync", "PolicyAllowed", "PolicyDenied");
  assert.equal(
    condition(denied, "PolicyAllowed")?.message,
    `OAuthClientPolicy ${policy} does not allow subject svc-payments in namespace ${ns} (allowed: svc-orders)`,
  );
  await waitForRecord(world, clientId, "removed", (r) => r === undefined);
  assert.equal(await recordInRedis(clientId), false);
  assert.equal(await redis.hExists(registryKeys.tombstones, clientId), 1, "a tombstone keeps old tokens dead");
  const event = await waitForEvent(world, ns, "sync", "PolicyDenied", "Warning");
  assert.match(event.note, /removed from the registry/);
  await stack.followed(clientId, "removed", (r) => r === undefined);
  assert.equal((await oauth.tokenIntrospection(introspector, access_token)).active, false);
  await assert.rejects(oauth.clientCredentialsGrant(config));

  await putPolicy(policy, { namespaces: { names: [ns] }, subjects: ["svc-orders", "svc-payments"] });
  await waitForReady(world, ns, "sync");
  await waitForRecord(world, clientId, "back", (r) => r?.subject === "svc-payments");
  assert.equal(await recordInRedis(clientId), true);
});

test("a namespace's labels change: its clients are re-checked", async () => {
  const ns = await createNamespace(world, "relabel");
  await labelNamespace(ns, { "tollgate.dev/subject-confinement": "off" });
  const { clientId } = await stack.apply(ns, "legacy", { grantTypes: ["client_credentials"], subject: "svc-legacy" });
  await labelNamespace(ns, { "tollgate.dev/subject-confinement": null });
  await waitForReason(world, ns, "legacy", "PolicyAllowed", "PolicyDenied");
  await waitForRecord(world, clientId, "removed", (r) => r === undefined);
  assert.equal(await recordInRedis(clientId), false);
});
