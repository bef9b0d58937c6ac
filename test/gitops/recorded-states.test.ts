// Drives the real operator on a real API server and Redis to each state in states.ts and
// records the OAuthClient as any client of the API server (Argo CD, Flux) reads it. With
// TOLLGATE_RECORD_FIXTURES=1 it (re)writes test/gitops/recorded/*.json; otherwise it
// checks that each committed recording still has the conditions the operator produces
// now (type, status, reason; generation observed or not), so the Argo CD and kstatus
// table tests never run on states the operator no longer writes.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import {
  CLIENT_CREDENTIALS,
  condition,
  createClient,
  createNamespace,
  type OperatorWorld,
  oauthClient,
  patchClient,
  startOperatorWorld,
  waitForClient,
  waitForReady,
  waitForReason,
} from "../operator/support.ts";
import { RECORDED_NAMESPACE, RECORDED_OTHER_NAMESPACE, readRecorded, recordedPath, STATES } from "./states.ts";

const RECORD = process.env.TOLLGATE_RECORD_FIXTURES === "1";
const FIXED_TIME = "2026-12-01T00:00:00Z";

let world: OperatorWorld;
let ns: string;
let other: string;
const live = new Map<string, OAuthClient>();

/** The object as read, with what differs from run to run (names, times, UIDs, ports) fixed. */
function normalized(resource: OAuthClient): OAuthClient {
  const { metadata } = resource;
  const copy = structuredClone(resource);
  copy.metadata = {
    name: metadata.name,
    namespace: metadata.namespace,
    uid: "00000000-0000-4000-8000-000000000000",
    resourceVersion: "1",
    generation: metadata.generation ?? 0,
    creationTimestamp: FIXED_TIME,
    ...(metadata.finalizers ? { finalizers: metadata.finalizers } : {}),
  } as OAuthClient["metadata"];
  for (const c of copy.status?.conditions ?? []) c.lastTransitionTime = FIXED_TIME;
  if (copy.status?.secretRotatedAt) copy.status.secretRotatedAt = FIXED_TIME;
  const text = JSON.stringify(copy, null, 2)
    .replaceAll(ns, RECORDED_NAMESPACE)
    .replaceAll(other, RECORDED_OTHER_NAMESPACE)
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:6379");
  return JSON.parse(text) as OAuthClient;
}

/** What must not drift between a recording and the operator of today. */
function shape(resource: OAuthClient) {
  return {
    observed: (resource.status?.observedGeneration ?? 0) >= (resource.metadata.generation ?? 0),
    conditions: (resource.status?.conditions ?? []).map(({ type, status, reason }) => ({ type, status, reason })),
  };
}

before(async () => {
  world = await startOperatorWorld();
  ns = await createNamespace(world, "gitops-a");
  other = await createNamespace(world, "gitops-b");
});
after(() => world?.stop());

test("applied: the object as created, before the operator has looked", async () => {
  // The create response is the API server's own answer, read before any reconcile can have run.
  live.set("applied", await createClient(world, oauthClient(ns, "applied", CLIENT_CREDENTIALS)));
  assert.deepEqual(live.get("applied")?.status, { observedGeneration: 0 }, "the CRD's default status");
});

test("waiting-for-secret: an adopted Secret not there yet", async () => {
  await createClient(
    world,
    oauthClient(ns, "legacy", { ...CLIENT_CREDENTIALS, credentials: { source: "adopt", secretName: "legacy-creds" } }),
  );
  live.set("waiting-for-secret", await waitForReason(world, ns, "legacy", "Reconciling", "WaitingForSecret"));
});

test("ready", async () => {
  await createClient(world, oauthClient(ns, "ready", CLIENT_CREDENTIALS));
  live.set("ready", await waitForReady(world, ns, "ready"));
});

test("invalid-spec: an inline JWK the schema admits and the compiler refuses", async () => {
  await createClient(
    world,
    oauthClient(ns, "invalid", {
      ...CLIENT_CREDENTIALS,
      tokenEndpointAuthMethod: "private_key_jwt",
      jwks: { keys: [{ kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA", kid: "broken" }] },
    }),
  );
  live.set("invalid-spec", await waitForReason(world, ns, "invalid", "Stalled", "InvalidSpec"));
});

test("client-id-conflict", async () => {
  await createClient(world, oauthClient(other, "first", { ...CLIENT_CREDENTIALS, clientId: "shared" }));
  await waitForReady(world, other, "first");
  await createClient(world, oauthClient(ns, "second", { ...CLIENT_CREDENTIALS, clientId: "shared" }));
  live.set("client-id-conflict", await waitForReason(world, ns, "second", "Stalled", "ClientIdConflict"));
});

test("disabled: spec.disabled in effect", async () => {
  await createClient(world, oauthClient(ns, "disabled", CLIENT_CREDENTIALS));
  await waitForReady(world, ns, "disabled");
  await patchClient(world, ns, "disabled", { spec: { disabled: true } });
  live.set(
    "disabled",
    await waitForClient(
      world,
      ns,
      "disabled",
      "Disabled True for generation 2",
      (r) => condition(r, "Disabled")?.status === "True" && r.status?.observedGeneration === 2,
    ),
  );
});

test("registry-down: Redis stopped while a client is applied", async () => {
  await world.redis.stop();
  try {
    await createClient(world, oauthClient(ns, "patient", CLIENT_CREDENTIALS));
    live.set("registry-down", await waitForReason(world, ns, "patient", "Reconciling", "RegistryUnavailable"));
  } finally {
    await world.redis.restart();
  }
  await waitForReady(world, ns, "patient");
});

test("every state is recorded, and the recordings match what the operator writes today", async () => {
  for (const state of STATES) {
    const resource = live.get(state.name);
    assert.ok(resource, `no live object for ${state.name}`);
    const recorded = normalized(resource);
    if (RECORD) writeFileSync(recordedPath(state.name), `${JSON.stringify(recorded, null, 2)}\n`);
    assert.deepEqual(
      shape(readRecorded(state.name)),
      shape(recorded),
      `${state.name}: the recording is stale; re-record with TOLLGATE_RECORD_FIXTURES=1`,
    );
  }
});
