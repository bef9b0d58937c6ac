// workloadIdentity compiles into the record the token server checks: the operator pins
// each named ServiceAccount to the UID it sees and leaves out one that does not exist
// (deleted), so a token of a deleted ServiceAccount stops working though its signature
// still verifies; standalone mode (no ServiceAccounts to see) keeps the names alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { API_VERSION, KIND, type OAuthClient, type OAuthClientSpec } from "../../../api/v1alpha1/oauthclient.ts";
import { compileRecord } from "../../../registry/compile.ts";

function compile(spec: Partial<OAuthClientSpec>, uids?: Record<string, string>) {
  const resource: OAuthClient = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: "orders", namespace: "shop", uid: "u" },
    spec: { grantTypes: ["client_credentials"], ...spec },
  };
  return compileRecord({
    resource,
    clientId: "orders.shop",
    secrets: [],
    lookup: () => undefined,
    ...(uids ? { serviceAccountUid: (name: string) => uids[name] } : {}),
  });
}

const cases: {
  name: string;
  spec: Partial<OAuthClientSpec>;
  uids?: Record<string, string>;
  expect: Pick<ReturnType<typeof compile>, "tokenEndpointAuthMethod" | "workloadIdentity">;
}[] = [
  {
    name: "each existing ServiceAccount pinned to its UID; a missing one left out",
    spec: { workloadIdentity: { serviceAccounts: ["orders", "gone", "billing"] } },
    uids: { orders: "uid-o", billing: "uid-b" },
    expect: {
      tokenEndpointAuthMethod: "workload_identity",
      workloadIdentity: {
        serviceAccounts: [
          { name: "orders", uid: "uid-o" },
          { name: "billing", uid: "uid-b" },
        ],
        tokenReuse: "allow",
      },
    },
  },
  {
    name: "none exists: the client compiles with no ServiceAccount (every token refused)",
    spec: { workloadIdentity: { serviceAccounts: ["gone"], tokenReuse: "once" } },
    uids: {},
    expect: {
      tokenEndpointAuthMethod: "workload_identity",
      workloadIdentity: { serviceAccounts: [], tokenReuse: "once" },
    },
  },
  {
    name: "standalone (no ServiceAccount lookup): names alone",
    spec: { workloadIdentity: { serviceAccounts: ["orders"] }, tokenEndpointAuthMethod: "workload_identity" },
    expect: {
      tokenEndpointAuthMethod: "workload_identity",
      workloadIdentity: { serviceAccounts: [{ name: "orders" }], tokenReuse: "allow" },
    },
  },
  {
    name: "without workloadIdentity nothing changes",
    spec: {},
    uids: { orders: "uid-o" },
    expect: { tokenEndpointAuthMethod: "client_secret_basic", workloadIdentity: undefined },
  },
];

for (const c of cases)
  test(`workloadIdentity compiles: ${c.name}`, () => {
    const record = compile(c.spec, c.uids);
    assert.equal(record.tokenEndpointAuthMethod, c.expect.tokenEndpointAuthMethod);
    assert.deepEqual(record.workloadIdentity, c.expect.workloadIdentity);
    assert.deepEqual(record.secrets, []);
  });
