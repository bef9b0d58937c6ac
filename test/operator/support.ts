// Shared pieces of the operator tests: one control plane and one Redis per test file,
// a namespace per test, and helpers that read the state of the world (objects in the
// API server, records in Redis through the registry contract).

import { mkdtempSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Secret } from "@kubernetes/client-node";
import {
  API_VERSION,
  type Condition,
  GROUP,
  KIND,
  type OAuthClient,
  type OAuthClientSpec,
  PLURAL,
  VERSION,
} from "../../api/v1alpha1/oauthclient.ts";
import { configWith, type OperatorConfig } from "../../operator/config.ts";
import {
  type KubeClients,
  makeClients,
  oauthClientParams,
  patchOAuthClient,
  readOAuthClient,
  readSecret,
} from "../../operator/kube.ts";
import { type RunningOperator, startOperator } from "../../operator/operator.ts";
import type { ClientRecord } from "../../registry/record.ts";
import { RecordKeyRing } from "../../registry/record-keys.ts";
import { RedisRegistry } from "../../registry/redis-registry.ts";
import { type ControlPlane, type ControlPlaneOptions, startControlPlane } from "../harness/control-plane.ts";
import { testLogger } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { followRecordKeysSecret } from "../harness/record-keys.ts";
import { startRedis, type TestRedis } from "../harness/redis.ts";

export const ISSUER = "https://tokens.tollgate.test";

export interface World {
  cp: ControlPlane;
  redis: TestRedis;
  kube: KubeClients;
  /** A reader of the registry, as the token server would read it (verifying with recordKeys). */
  registry: RedisRegistry;
  /** The registry record keys, followed from the operator's Secret (default/tollgate-registry-keys). */
  recordKeys: RecordKeyRing;
  logDir: string;
  stop(): Promise<void>;
}

export async function startWorld(controlPlane: ControlPlaneOptions = {}): Promise<World> {
  const [cp, redis] = await Promise.all([startControlPlane(controlPlane), startRedis()]);
  const recordKeys = new RecordKeyRing();
  const registry = await RedisRegistry.connect(redis.url, recordKeys);
  const logDir = mkdtempSync(join(tmpdir(), "tollgate-operator-test-"));
  const kube = makeClients(cp.kubeConfig);
  const stopFollowing = followRecordKeysSecret(kube, recordKeys);
  return {
    cp,
    redis,
    kube,
    registry,
    recordKeys,
    logDir,
    async stop() {
      stopFollowing();
      await registry.close().catch(() => {});
      await Promise.all([cp.stop(), redis.stop()]);
    },
  };
}

/** A world with one operator on it, for a test file that runs one operator throughout. */
export interface OperatorWorld extends World {
  operator: RunningOperator;
  /** Stops the operator, then the world. */
  stop(): Promise<void>;
}

/** Starts a world and an operator on it, and waits for the operator's caches to sync. */
export async function startOperatorWorld(overrides: Partial<OperatorConfig> = {}): Promise<OperatorWorld> {
  const world = await startWorld();
  let operator: RunningOperator | undefined;
  const stop = async () => {
    await operator?.stop();
    await world.stop();
  };
  try {
    operator = await startTestOperator(world, overrides);
    await operator.synced();
    return { ...world, operator, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

let operatorCount = 0;

/** Starts an operator in this process, logging to a file in world.logDir. */
export async function startTestOperator(
  world: World,
  overrides: Partial<OperatorConfig> = {},
): Promise<RunningOperator> {
  operatorCount += 1;
  const logFile = join(world.logDir, `operator-${operatorCount}.log`);
  let pending = Promise.resolve();
  const log = testLogger(`operator-${operatorCount}`, {
    level: "info",
    write: (line) => {
      pending = pending.then(() => appendFile(logFile, line));
    },
  });
  return startOperator(operatorConfig(world, overrides), { log, recordKeys: world.recordKeys });
}

export function operatorConfig(world: World, overrides: Partial<OperatorConfig> = {}): OperatorConfig {
  return configWith({
    kubeconfig: world.cp.kubeconfigPath,
    redisUrl: world.redis.url,
    issuer: ISSUER,
    metricsHost: "127.0.0.1",
    metricsPort: 0,
    leaderElection: false,
    resyncPeriodMs: 5_000,
    watchStallTimeoutMs: 20_000,
    signingKeysSecret: "",
    concurrency: 2,
    // These tests use subjects like "svc-test" in generated namespaces; test/tenancy/ runs
    // with the confinement on (the default) and checks it.
    subjectConfinement: false,
    ...overrides,
  });
}

let namespaceCount = 0;
export async function createNamespace(world: World, prefix: string): Promise<string> {
  namespaceCount += 1;
  const name = `${prefix}-${namespaceCount}-${Math.random().toString(36).slice(2, 7)}`;
  await world.kube.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

export function oauthClient(
  namespace: string,
  name: string,
  spec: OAuthClientSpec,
  annotations?: Record<string, string>,
): OAuthClient {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec,
  };
}

export const CLIENT_CREDENTIALS: OAuthClientSpec = {
  grantTypes: ["client_credentials"],
  subject: "svc-test",
  scopes: ["orders:read", "orders:write"],
  defaultScopes: ["orders:read"],
};

export async function createClient(world: World, resource: OAuthClient): Promise<OAuthClient> {
  return (await world.kube.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: resource.metadata.namespace ?? "default",
    plural: PLURAL,
    body: resource,
  })) as OAuthClient;
}

export function getClient(world: World, namespace: string, name: string): Promise<OAuthClient | undefined> {
  return readOAuthClient(world.kube, namespace, name);
}

export function patchClient(world: World, namespace: string, name: string, body: unknown): Promise<OAuthClient> {
  return patchOAuthClient(world.kube, namespace, name, body);
}

export function patchClientStatus(world: World, namespace: string, name: string, body: unknown): Promise<OAuthClient> {
  return patchOAuthClient(world.kube, namespace, name, body, { status: true });
}

export async function deleteClient(world: World, namespace: string, name: string): Promise<void> {
  await world.kube.custom.deleteNamespacedCustomObject(oauthClientParams(namespace, name));
}

export function getSecret(world: World, namespace: string, name: string): Promise<V1Secret | undefined> {
  return readSecret(world.kube, namespace, name);
}

export function secretString(secret: V1Secret | undefined, key: string): string | undefined {
  const raw = secret?.data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, "base64").toString("utf8");
}

export function condition(resource: OAuthClient | undefined, type: string): Condition | undefined {
  return resource?.status?.conditions?.find((c) => c.type === type);
}

/** Polls the resource until `predicate` holds for it; returns it. */
export async function waitForClient(
  world: World,
  namespace: string,
  name: string,
  what: string,
  predicate: (resource: OAuthClient) => boolean,
  timeoutMs = 60_000,
): Promise<OAuthClient> {
  let last: OAuthClient | undefined;
  try {
    return await waitFor(
      `${namespace}/${name}: ${what}`,
      async () => {
        last = await getClient(world, namespace, name);
        return last && predicate(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 2)}`);
  }
}

/** Polls the resource until its condition `type` has this reason; returns it. */
export function waitForReason(
  world: World,
  namespace: string,
  name: string,
  type: string,
  reason: string,
): Promise<OAuthClient> {
  return waitForClient(world, namespace, name, `${type} ${reason}`, (r) => condition(r, type)?.reason === reason);
}

/** Ready=True for the current generation. */
export function isReady(resource: OAuthClient): boolean {
  const ready = condition(resource, "Ready");
  return ready?.status === "True" && resource.status?.observedGeneration === resource.metadata.generation;
}

export async function waitForReady(
  world: World,
  namespace: string,
  name: string,
  timeoutMs?: number,
): Promise<OAuthClient> {
  return waitForClient(world, namespace, name, "Ready", isReady, timeoutMs);
}

export async function waitForRecord(
  world: World,
  clientId: string,
  what: string,
  predicate: (record: ClientRecord | undefined) => boolean,
  timeoutMs = 60_000,
): Promise<ClientRecord | undefined> {
  let last: ClientRecord | undefined;
  await waitFor(
    `registry record ${clientId}: ${what}`,
    async () => {
      last = await world.registry.get(clientId);
      return predicate(last) || undefined;
    },
    { timeoutMs, intervalMs: 100 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nlast record: ${JSON.stringify(last)}`);
  });
  return last;
}

/** Events about one object, newest last. */
export async function eventsFor(
  world: World,
  namespace: string,
  name: string,
): Promise<{ reason: string; note: string; type: string }[]> {
  const list = await world.kube.events.listNamespacedEvent({ namespace });
  return list.items
    .filter((e) => e.regarding?.name === name && e.regarding?.kind === KIND)
    .sort((a, b) => new Date(a.eventTime).getTime() - new Date(b.eventTime).getTime())
    .map((e) => ({ reason: e.reason ?? "", note: e.note ?? "", type: e.type ?? "" }));
}

export async function metricsText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

export async function waitForGone(world: World, namespace: string, name: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `${namespace}/${name} to be gone`,
    async () => (await getClient(world, namespace, name)) === undefined || undefined,
    {
      timeoutMs,
      intervalMs: 100,
    },
  );
}

/** Waits for an Event about the object with this reason (Events are written in the background). */
export async function waitForEvent(world: World, namespace: string, name: string, reason: string, type?: string) {
  return waitFor(`an Event ${reason} about ${namespace}/${name}`, async () =>
    (await eventsFor(world, namespace, name)).find(
      (e) => e.reason === reason && (type === undefined || e.type === type),
    ),
  );
}
