// A registration access token is spent by a concurrent use or a hand edit, never by the
// operator's own status or finalizer writes landing between the registrar's read and write.
import assert from "node:assert/strict";
import { test } from "node:test";
import { API_VERSION, KIND, type OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";
import { onlyOperatorWritesBetween } from "../../../registrar/registrar.ts";

const read: OAuthClient = {
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: {
    name: "shop",
    namespace: "team",
    uid: "u1",
    generation: 2,
    resourceVersion: "10",
    labels: { app: "shop" },
    annotations: { "tollgate.dev/registration-access-token-mac": "m1" },
  },
  spec: { grantTypes: ["client_credentials"] },
};

test("only the operator's writes between read and write: retried; anything else: the token is spent", () => {
  const cases: [string, Partial<OAuthClient["metadata"]>, Partial<OAuthClient>, boolean][] = [
    ["a status write", { resourceVersion: "11" }, { status: { conditions: [] } }, true],
    ["the operator's finalizer", { resourceVersion: "11", finalizers: ["tollgate.dev/registry"] }, {}, true],
    ["a hand edit of the spec", { resourceVersion: "11", generation: 3 }, {}, false],
    [
      "the token used concurrently (its MAC changed)",
      { resourceVersion: "11", annotations: { "tollgate.dev/registration-access-token-mac": "m2" } },
      {},
      false,
    ],
    ["a hand edit of the labels", { resourceVersion: "11", labels: {} }, {}, false],
    ["deleted meanwhile", { resourceVersion: "11", deletionTimestamp: "2026-12-03T00:00:00Z" }, {}, false],
    ["deleted and recreated", { resourceVersion: "11", uid: "u2" }, {}, false],
    ["another controller's finalizer", { resourceVersion: "11", finalizers: ["example.com/guard"] }, {}, false],
  ];
  for (const [name, metadata, rest, retried] of cases) {
    const now = { ...read, ...rest, metadata: { ...read.metadata, ...metadata } } as OAuthClient;
    assert.equal(onlyOperatorWritesBetween(read, now), retried, name);
  }
  assert.equal(onlyOperatorWritesBetween(read, undefined), false, "gone");
});
