// The credentials decision as a table: each named policy, with a fake clock (the
// `now` input) and a deterministic secret generator. No API server, no Redis.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import {
  API_VERSION,
  KIND,
  type OAuthClient,
  type OAuthClientSpec,
  ROTATE_ANNOTATION,
} from "../../../api/v1alpha1/oauthclient.ts";
import { type CredentialsInput, decideCredentials } from "../../../operator/reconcile/credentials-policy.ts";
import { SecretAnnotation } from "../../../operator/reconcile/credentials-secret.ts";
import { hashSecret, verifySecret } from "../../../registry/secret-hash.ts";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const HOUR = 3600_000;
const UID = "uid-1";
const NEW_SECRET = "generated-secret";

function resource(
  spec: Partial<OAuthClientSpec> = {},
  more: { annotations?: Record<string, string>; status?: OAuthClient["status"] } = {},
): OAuthClient {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: "orders",
      namespace: "shop",
      uid: UID,
      ...(more.annotations ? { annotations: more.annotations } : {}),
    },
    spec: { grantTypes: ["client_credentials"], ...spec },
    ...(more.status ? { status: more.status } : {}),
  };
}

function secret(
  data: Record<string, string> = { client_secret: "held-secret" },
  annotations: Record<string, string> = {},
  owner = UID,
): V1Secret {
  return {
    metadata: {
      name: "orders-oauth-client",
      namespace: "shop",
      annotations,
      ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: "orders", uid: owner, controller: true }],
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
/** The hash the Secret records for the secret it holds. */
const HELD_HASH = hashSecret("held-secret");
const recorded = { [SecretAnnotation.currentHash]: HELD_HASH };

interface Case {
  name: string;
  input: Omit<CredentialsInput, "now" | "generate">;
  policy: string;
  /** Checks on the outcome beyond the policy. */
  expect?: (outcome: ReturnType<typeof decideCredentials>) => void;
}

const ready = (outcome: ReturnType<typeof decideCredentials>) => {
  assert.ok(outcome.ready, "ready");
  return outcome.credentials;
};

const cases: Case[] = [
  {
    name: "adopt, Secret missing: wait for it",
    input: { resource: resource({ credentials: { source: "adopt" } }), existing: undefined },
    policy: "adopted-and-missing",
    expect: (o) => assert.equal(!o.ready && o.reason, "WaitingForSecret"),
  },
  {
    name: "adopt, Secret without the key",
    input: { resource: resource({ credentials: { source: "adopt" } }), existing: secret({}) },
    policy: "adopted-key-missing",
    expect: (o) => assert.equal(!o.ready && o.reason, "SecretKeyMissing"),
  },
  {
    name: "adopt, Secret with the key: its value, never generated",
    input: { resource: resource({ credentials: { source: "adopt" } }), existing: secret() },
    policy: "adopted",
    expect: (o) => {
      const c = ready(o);
      assert.equal(c.clientSecret, "held-secret");
      assert.equal(c.adopted, true);
      assert.equal(c.rotatedAt, NOW);
    },
  },
  {
    name: "adopt, unchanged secret: the registry's hash and status time are kept",
    input: {
      resource: resource({ credentials: { source: "adopt" } }, { status: { secretRotatedAt: iso(NOW - HOUR) } }),
      existing: secret(),
      registryHashes: [HELD_HASH],
    },
    policy: "adopted",
    expect: (o) => {
      const c = ready(o);
      assert.equal(c.rotatedAt, NOW - HOUR);
      assert.equal(c.currentHash, HELD_HASH);
    },
  },
  {
    name: "adopt, the registry unreachable: the status time stands",
    input: {
      resource: resource({ credentials: { source: "adopt" } }, { status: { secretRotatedAt: iso(NOW - HOUR) } }),
      existing: secret(),
    },
    policy: "adopted",
    expect: (o) => assert.equal(ready(o).rotatedAt, NOW - HOUR),
  },
  {
    name: "adopt, the team changed the secret: a new rotation time",
    input: {
      resource: resource({ credentials: { source: "adopt" } }, { status: { secretRotatedAt: iso(NOW - HOUR) } }),
      existing: secret({ client_secret: "their-new-one" }),
      registryHashes: [HELD_HASH],
    },
    policy: "adopted",
    expect: (o) => assert.equal(ready(o).rotatedAt, NOW),
  },
  {
    name: "a Secret of that name owned by someone else",
    input: { resource: resource(), existing: secret(undefined, {}, "other-uid") },
    policy: "not-owned",
    expect: (o) => assert.equal(!o.ready && o.reason, "SecretNotOwned"),
  },
  {
    name: "no Secret and none before: created",
    input: { resource: resource(), existing: undefined },
    policy: "deleted",
    expect: (o) => {
      const c = ready(o);
      assert.equal(c.change, "created");
      assert.equal(c.clientSecret, NEW_SECRET);
      assert.ok(c.currentHash && verifySecret(NEW_SECRET, c.currentHash));
    },
  },
  {
    name: "no Secret, but status says there was one: regenerated",
    input: {
      resource: resource({}, { status: { secretRotatedAt: iso(NOW - HOUR) } }),
      existing: undefined,
    },
    policy: "deleted",
    expect: (o) => assert.equal(ready(o).change, "regenerated"),
  },
  {
    name: "public client, no Secret: created without a secret",
    input: { resource: resource({ clientType: "public" }), existing: undefined },
    policy: "deleted",
    expect: (o) => assert.equal(ready(o).clientSecret, undefined),
  },
  {
    name: "the Secret lost its client_secret: regenerated",
    input: { resource: resource(), existing: secret({ client_id: "x" }) },
    policy: "key-missing",
    expect: (o) => {
      assert.equal(ready(o).change, "regenerated");
      assert.equal(ready(o).clientSecret, NEW_SECRET);
    },
  },
  {
    name: "a public client's Secret has no client_secret: kept",
    input: { resource: resource({ clientType: "public" }), existing: secret({ client_id: "x" }) },
    policy: "kept",
  },
  {
    name: "a new rotation request: rotated, previous secret valid for the default grace",
    input: {
      resource: resource({}, { annotations: { [ROTATE_ANNOTATION]: "r1" } }),
      existing: secret(undefined, recorded),
    },
    policy: "rotation-requested",
    expect: (o) => {
      const c = ready(o);
      assert.equal(c.change, "rotated");
      assert.equal(c.clientSecret, NEW_SECRET);
      assert.equal(c.rotationRequestHandled, "r1");
      assert.equal(c.previous?.expiresAt, NOW + HOUR);
      assert.equal(c.previous?.hash, HELD_HASH, "the recorded hash carries over");
      assert.equal(c.tokensRevokedBefore, undefined);
    },
  },
  {
    name: "a rotation request already handled (Secret annotation): kept",
    input: {
      resource: resource({}, { annotations: { [ROTATE_ANNOTATION]: "r1" } }),
      existing: secret(undefined, { [SecretAnnotation.rotationRequestHandled]: "r1" }),
    },
    policy: "kept",
  },
  {
    name: "a rotation request handled per status, annotation lost: kept",
    input: {
      resource: resource({}, { annotations: { [ROTATE_ANNOTATION]: "r1" }, status: { rotationRequestHandled: "r1" } }),
      existing: secret(),
    },
    policy: "kept",
  },
  {
    name: "a public client's rotation request: nothing to rotate, kept",
    input: {
      resource: resource({ clientType: "public" }, { annotations: { [ROTATE_ANNOTATION]: "r1" } }),
      existing: secret({}),
    },
    policy: "kept",
    expect: (o) => assert.equal(ready(o).rotationRequestHandled, "r1"),
  },
  {
    name: "rotation.every has passed since the last rotation: rotated, tokens revoked when asked",
    input: {
      resource: resource({ credentials: { rotation: { every: "24h", gracePeriod: "10m", revokeTokens: true } } }),
      existing: secret(undefined, { [SecretAnnotation.rotatedAt]: iso(NOW - 24 * HOUR) }),
    },
    policy: "rotation-due",
    expect: (o) => {
      const c = ready(o);
      assert.equal(c.previous?.expiresAt, NOW + 600_000);
      assert.equal(c.tokensRevokedBefore, NOW / 1000);
      assert.match(c.message, /due every 24h/);
    },
  },
  {
    name: "rotation.every not yet passed: kept, with the Secret's rotation time",
    input: {
      resource: resource({ credentials: { rotation: { every: "24h" } } }),
      existing: secret(undefined, { [SecretAnnotation.rotatedAt]: iso(NOW - 24 * HOUR + 1) }),
    },
    policy: "kept",
    expect: (o) => assert.equal(ready(o).rotatedAt, NOW - 24 * HOUR + 1),
  },
  {
    name: "a person put another secret in the Secret: changed, accepted from now",
    input: {
      resource: resource(),
      existing: secret({ client_secret: "their-own" }, { [SecretAnnotation.rotatedAt]: iso(NOW - HOUR), ...recorded }),
    },
    policy: "changed-by-a-person",
    expect: (o) => {
      const c = ready(o);
      assert.equal(c.change, "changed");
      assert.equal(c.clientSecret, "their-own");
      assert.equal(c.rotatedAt, NOW);
    },
  },
  {
    name: "kept: the Secret's recorded salted hash is reused, so nothing is rewritten",
    input: {
      resource: resource(),
      existing: secret(undefined, { [SecretAnnotation.rotatedAt]: iso(NOW - HOUR), ...recorded }),
    },
    policy: "kept",
    expect: (o) => {
      const c = ready(o);
      assert.equal(c.currentHash, HELD_HASH);
      assert.equal(c.rotatedAt, NOW - HOUR);
      assert.equal(c.change, "kept");
    },
  },
  {
    name: "kept: a previous secret within its grace window stays, one past it goes",
    input: {
      resource: resource(),
      existing: secret(undefined, {
        [SecretAnnotation.previousHash]: "sha256$a$b",
        [SecretAnnotation.previousExpiresAt]: iso(NOW + 1000),
      }),
    },
    policy: "kept",
    expect: (o) => assert.deepEqual(ready(o).previous, { hash: "sha256$a$b", expiresAt: NOW + 1000 }),
  },
  {
    name: "kept: a previous secret at its expiry is dropped",
    input: {
      resource: resource(),
      existing: secret(undefined, {
        [SecretAnnotation.previousHash]: "sha256$a$b",
        [SecretAnnotation.previousExpiresAt]: iso(NOW),
      }),
    },
    policy: "kept",
    expect: (o) => assert.equal(ready(o).previous, undefined),
  },
  {
    name: "kept: a Secret without a recorded hash (written before hashes were) is not a person's change",
    input: { resource: resource(), existing: secret() },
    policy: "kept",
  },
];

for (const c of cases)
  test(`credentials: ${c.name}`, () => {
    const outcome = decideCredentials({ ...c.input, now: NOW, generate: () => NEW_SECRET });
    assert.equal(outcome.policy, c.policy);
    c.expect?.(outcome);
  });

test("credentials: a private_key_jwt client gets no client secret, and an old one is dropped", () => {
  const spec = { tokenEndpointAuthMethod: "private_key_jwt" as const };
  const created = decideCredentials({ resource: resource(spec), existing: undefined, now: NOW });
  assert.equal(created.policy, "deleted");
  assert.equal(ready(created).clientSecret, undefined);
  const kept = decideCredentials({
    resource: resource(spec),
    existing: secret(),
    now: NOW,
  });
  assert.equal(kept.policy, "kept");
  assert.equal(ready(kept).clientSecret, undefined);
  assert.equal(ready(kept).currentHash, undefined);
  const rotation = decideCredentials({
    resource: resource(
      { ...spec, credentials: { rotation: { every: "1h" } } },
      { annotations: { [ROTATE_ANNOTATION]: "r" } },
    ),
    existing: secret(undefined, { [SecretAnnotation.rotatedAt]: iso(NOW - 2 * HOUR) }),
    now: NOW,
  });
  assert.equal(rotation.policy, "kept", "nothing to rotate");
});

test("credentials: a workload-identity client gets no client secret, and a secret it held before is dropped", () => {
  const spec = { workloadIdentity: { serviceAccounts: ["orders"] } };
  const created = decideCredentials({ resource: resource(spec), existing: undefined, now: NOW });
  assert.equal(ready(created).clientSecret, undefined);
  const switched = decideCredentials({ resource: resource(spec), existing: secret(), now: NOW });
  assert.equal(switched.policy, "kept");
  assert.equal(ready(switched).clientSecret, undefined, "the secret of its client_secret_basic days is gone");
  assert.equal(ready(switched).currentHash, undefined);
});

test("revokeTokensIssuedBefore only moves forward: an earlier or removed spec value is ignored and reported", () => {
  const T1 = NOW - 2 * HOUR;
  const T2 = NOW - HOUR;
  const applied = (ms: number) => ({ ...recorded, [SecretAnnotation.revokeTokensIssuedBefore]: iso(ms) });
  const s = (ms: number) => Math.floor(ms / 1000);
  const rows: [string, string | undefined, Record<string, string>, number | undefined, boolean | undefined][] = [
    ["first value", iso(T1), recorded, s(T1), false],
    ["a later value moves it forward", iso(T2), applied(T1), s(T2), false],
    ["the same value", iso(T1), applied(T1), s(T1), false],
    ["an earlier value (a git revert) is ignored", iso(T1), applied(T2), s(T2), true],
    ["a removed value (a GitOps self-heal) is ignored", undefined, applied(T2), s(T2), true],
    ["never set", undefined, recorded, undefined, undefined],
  ];
  for (const [what, spec, annotations, effective, ignored] of rows) {
    const outcome = decideCredentials({
      resource: resource(spec ? { revokeTokensIssuedBefore: spec } : {}),
      existing: secret(undefined, annotations),
      now: NOW,
    });
    assert.ok(outcome.ready, what);
    assert.equal(outcome.credentials.tokensRevokedBefore, effective, what);
    assert.equal(outcome.credentials.revocation?.ignored, ignored, what);
    if (effective !== undefined) assert.equal(outcome.credentials.revocation?.appliedBefore, effective, what);
  }
});
