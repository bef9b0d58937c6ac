// Drift of the client's Secret, one field at a time: an edit of any value the operator
// writes is repaired; what a person added beside them is kept and is no drift.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import { API_VERSION, KIND, type OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";
import type { ResolvedCredentials } from "../../../operator/reconcile/credentials-policy.ts";
import { desiredSecret, sameSecret } from "../../../operator/reconcile/secret.ts";

const resource: OAuthClient = {
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { name: "orders", namespace: "shop", uid: "uid-1" },
  spec: { grantTypes: ["client_credentials"] },
};
const endpoints = { issuer: "https://issuer.example", tokenEndpoint: "https://issuer.example/oauth2/token" };
const credentials: ResolvedCredentials = {
  secretName: "orders-oauth-client",
  clientSecret: "the-secret",
  rotatedAt: Date.parse("2026-12-01T00:00:00Z"),
  adopted: false,
  change: "kept",
  message: "",
};
const written = desiredSecret(resource, "shop-orders", credentials, endpoints);

const b64 = (text: string) => Buffer.from(text).toString("base64");
function edited(edit: (secret: V1Secret) => void): V1Secret {
  const copy = structuredClone(written);
  edit(copy);
  return copy;
}

function setData(key: string, value: string | undefined): (secret: V1Secret) => void {
  return (secret) => {
    const data = { ...secret.data };
    if (value === undefined) delete data[key];
    else data[key] = b64(value);
    secret.data = data;
  };
}

const cases: [string, (secret: V1Secret) => void, boolean][] = [
  ["as written", () => {}, true],
  ["client_id alone edited", setData("client_id", "someone-else"), false],
  ["token_endpoint alone edited", setData("token_endpoint", "https://evil.example/token"), false],
  ["issuer alone edited", setData("issuer", "https://evil.example"), false],
  ["client_secret alone edited", setData("client_secret", "x"), false],
  ["a data key removed", setData("issuer", undefined), false],
  [
    "a state annotation removed",
    (s) => {
      s.metadata = { ...s.metadata, annotations: {} };
    },
    false,
  ],
  [
    "the owner reference removed",
    (s) => {
      s.metadata = { ...s.metadata, ownerReferences: [] };
    },
    false,
  ],
  [
    "the type changed",
    (s) => {
      s.type = "kubernetes.io/tls";
    },
    false,
  ],
];

for (const [name, edit, same] of cases)
  test(`secret drift: ${name}`, () => {
    const existing = edited(edit);
    assert.equal(sameSecret(written, existing), same);
    // Whatever was edited, the repair puts every value back.
    const repaired = desiredSecret(resource, "shop-orders", { ...credentials, existing }, endpoints);
    assert.deepEqual(repaired.data, written.data);
  });

test("secret drift: a label and an annotation a person added are kept, and are no drift", () => {
  const existing = edited((s) => {
    s.metadata = {
      ...s.metadata,
      labels: { ...s.metadata?.labels, team: "orders" },
      annotations: { ...s.metadata?.annotations, note: "hi" },
    };
  });
  const desired = desiredSecret(resource, "shop-orders", { ...credentials, existing }, endpoints);
  assert.equal(desired.metadata?.labels?.team, "orders");
  assert.equal(desired.metadata?.annotations?.note, "hi");
  assert.equal(sameSecret(desired, existing), true);
});
