// What wakes the OAuthClient reconciler: the map functions and the predicate, on
// informer events, with a small index. An own status write must wake nobody (it was
// one extra no-op reconcile per write through the client-ID index).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { API_VERSION, KIND, type OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";
import { trimSecretMetadata } from "../../../operator/controllers/oauthclient.ts";
import {
  type IndexLookup,
  OAUTHCLIENT_INDEXES,
  otherClaimants,
  ownKey,
  secretReaders,
  serviceAccountUsers,
} from "../../../operator/controllers/oauthclient-watches.ts";
import { OwnWrites } from "../../../operator/controllers/own-writes.ts";

function client(name: string, more: { clientId?: string; generation?: number; holds?: boolean } = {}): OAuthClient {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: "shop", uid: `uid-${name}`, generation: more.generation ?? 1 },
    spec: { grantTypes: ["client_credentials"], ...(more.clientId ? { clientId: more.clientId } : {}) },
    status: {
      conditions: [
        {
          type: "ClientIdAvailable",
          status: more.holds === false ? "False" : "True",
          reason: "x",
          message: "",
          lastTransitionTime: "2026-12-01T00:00:00Z",
        },
      ],
    },
  };
}

/** An index over `objects`, as the informer keeps it. */
function lookupOver(...objects: OAuthClient[]): IndexLookup {
  return (index, value) =>
    objects
      .filter((o) => OAUTHCLIENT_INDEXES[index](o).includes(value))
      .map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
}

const a = client("a", { clientId: "shared" });
const statusOnly = { ...a, status: { ...a.status, observedGeneration: 1 } };

test("an own status write wakes nobody: not itself, not through the client-ID index", () => {
  const lookup = lookupOver(statusOnly);
  assert.deepEqual(ownKey("update", statusOnly, a), []);
  assert.deepEqual(otherClaimants(lookup)("update", statusOnly, a), []);
});

test("a spec change wakes the resource, and no other when nobody else claims its ID", () => {
  const changed = { ...a, metadata: { ...a.metadata, generation: 2 } };
  assert.deepEqual(ownKey("update", changed, a), ["shop/a"]);
  assert.deepEqual(otherClaimants(lookupOver(changed))("update", changed, a), []);
});

test("annotations, labels, others' finalizers and deletion count as changes; status or our finalizer alone do not", () => {
  const cases: [string, OAuthClient, boolean][] = [
    ["annotation", { ...a, metadata: { ...a.metadata, annotations: { "tollgate.dev/rotate-secret": "1" } } }, true],
    ["label", { ...a, metadata: { ...a.metadata, labels: { team: "x" } } }, true],
    ["another's finalizer", { ...a, metadata: { ...a.metadata, finalizers: ["example.com/hold"] } }, true],
    ["our own finalizer", { ...a, metadata: { ...a.metadata, finalizers: ["tollgate.dev/registry"] } }, false],
    ["deletion", { ...a, metadata: { ...a.metadata, deletionTimestamp: "1970-01-01T00:00:00Z" } }, true],
    ["status", statusOnly, false],
  ];
  for (const [name, next, wakes] of cases) assert.deepEqual(ownKey("update", next, a), wakes ? ["shop/a"] : [], name);
});

test("adds and deletes wake the resource and the others claiming its ID", () => {
  const b = client("b", { clientId: "shared", holds: false });
  const lookup = lookupOver(a, b);
  assert.deepEqual(ownKey("add", a), ["shop/a"]);
  assert.deepEqual(otherClaimants(lookup)("add", a), ["shop/b"]);
  assert.deepEqual(otherClaimants(lookup)("delete", a), ["shop/b"]);
});

test("a status write that hands over the ID wakes the other claimants", () => {
  const b = client("b", { clientId: "shared", holds: false });
  const released = client("a", { clientId: "shared", holds: false });
  assert.deepEqual(otherClaimants(lookupOver(released, b))("update", released, a), ["shop/b"]);
});

test("a client-ID change wakes the claimants of the old and the new ID", () => {
  const b = client("b", { clientId: "old" });
  const c = client("c", { clientId: "new" });
  const before = client("a", { clientId: "old" });
  const after = { ...client("a", { clientId: "new" }), metadata: { ...before.metadata, generation: 2 } };
  assert.deepEqual(otherClaimants(lookupOver(after, b, c))("update", after, before).sort(), ["shop/b", "shop/c"]);
});

test("a Secret wakes the resources reading it and its owner", () => {
  const reader = {
    ...client("reader"),
    spec: {
      grantTypes: ["client_credentials" as const],
      credentials: { secretName: "orders-creds" },
    },
  };
  const secret: V1Secret = {
    metadata: {
      name: "orders-creds",
      namespace: "shop",
      ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name: "owner", uid: "u" }],
    },
  };
  assert.deepEqual(secretReaders(lookupOver(reader))("update", secret).sort(), ["shop/owner", "shop/reader"]);
  const foreign: V1Secret = {
    metadata: {
      name: "x",
      namespace: "shop",
      ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "p", uid: "u" }],
    },
  };
  assert.deepEqual(secretReaders(lookupOver(reader))("update", foreign), []);
});

test("a ServiceAccount wakes the workload-identity clients naming it when it appears, goes or changes UID", () => {
  const user = {
    ...client("user"),
    spec: { grantTypes: ["client_credentials" as const], workloadIdentity: { serviceAccounts: ["orders"] } },
  };
  const other = {
    ...client("other"),
    spec: { grantTypes: ["client_credentials" as const], workloadIdentity: { serviceAccounts: ["billing"] } },
  };
  const map = serviceAccountUsers(lookupOver(user, other));
  const account = (uid: string): V1ServiceAccount => ({ metadata: { name: "orders", namespace: "shop", uid } });
  assert.deepEqual(map("add", account("1")), ["shop/user"]);
  assert.deepEqual(map("delete", account("1")), ["shop/user"]);
  assert.deepEqual(map("update", account("2"), account("1")), ["shop/user"], "re-created under the same name");
  assert.deepEqual(map("update", account("1"), account("1")), [], "a label or resync changes nothing to converge");
  const elsewhere: V1ServiceAccount = { metadata: { name: "orders", namespace: "other", uid: "3" } };
  assert.deepEqual(map("add", elsewhere), [], "a ServiceAccount of another namespace is never one of these");
});

test("the Secret a reconcile wrote comes back as an event that wakes nobody; an edit of it does", () => {
  const writes = new OwnWrites();
  const written: V1Secret = {
    type: "Opaque",
    metadata: { name: "orders-oauth-client", namespace: "shop", annotations: { "tollgate.dev/secret-hash": "h1" } },
    data: { client_id: "eA==" },
  };
  // The cache holds metadata only (trimSecretMetadata): that is what events carry.
  const event = (resourceVersion: string, annotations = written.metadata?.annotations) =>
    trimSecretMetadata({
      metadata: {
        ...written.metadata,
        annotations,
        resourceVersion,
        labels: { "app.kubernetes.io/managed-by": "tollgate-operator" },
      },
    });
  writes.remember({
    ...written,
    metadata: { ...written.metadata, labels: { "app.kubernetes.io/managed-by": "tollgate-operator" } },
  });
  assert.equal(writes.isOwn(event("42")), true, "before the write's response: the same metadata");
  assert.equal(writes.isOwn(event("43", { "tollgate.dev/secret-hash": "h2" })), false, "an edit of the metadata");
  writes.wrote({ metadata: { name: "orders-oauth-client", namespace: "shop", resourceVersion: "42" } });
  assert.equal(writes.isOwn(event("42")), true, "after it: the resourceVersion the write got");
  assert.equal(writes.isOwn(event("44")), false, "an edit of the data (same metadata, a later version)");
  writes.forget(written);
  assert.equal(writes.isOwn(event("42")), false);
});

test("the Secret cache keeps names, versions and OAuthClient owners; labels and annotations only of the operator's own", () => {
  const owner = {
    apiVersion: "tollgate.dev/v1alpha1",
    kind: "OAuthClient",
    name: "orders",
    uid: "u1",
    controller: true,
  };
  const foreign = trimSecretMetadata({
    metadata: {
      name: "db",
      namespace: "shop",
      resourceVersion: "7",
      uid: "x",
      labels: { app: "db" },
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...the whole Secret...}" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "db", uid: "d" }],
    },
    data: { password: "cGFzcw==" },
  });
  assert.deepEqual(foreign, { metadata: { name: "db", namespace: "shop", resourceVersion: "7" } });
  const ours = trimSecretMetadata({
    metadata: {
      name: "orders-oauth-client",
      namespace: "shop",
      resourceVersion: "8",
      labels: { "app.kubernetes.io/managed-by": "tollgate-operator" },
      annotations: { "tollgate.dev/secret-hash": "h" },
      ownerReferences: [owner],
    },
  });
  assert.deepEqual(ours.metadata?.ownerReferences, [owner]);
  assert.deepEqual(ours.metadata?.annotations, { "tollgate.dev/secret-hash": "h" });
});
