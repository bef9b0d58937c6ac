// The tenancy decision as a table: the shared cases (which the API server's admission
// policies must answer the same way, test/tenancy/admission-equivalence.test.ts), then
// what only the operator's side has: the confinement switched off, and the pattern and
// selector edge cases one by one.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";
import type { OAuthClientPolicy, OAuthClientPolicySpec } from "../../../api/v1alpha1/oauthclientpolicy.ts";
import { decide, matches, selects, serviceIdentity } from "../../../operator/policy/decide.ts";
import { exampleDocuments } from "../../crd/kube.ts";
import { POLICY_CASES } from "../support/policy-cases.ts";

const policy = (name: string, spec: OAuthClientPolicySpec): OAuthClientPolicy => ({
  apiVersion: "tollgate.dev/v1alpha1",
  kind: "OAuthClientPolicy",
  metadata: { name },
  spec,
});

describe("the shared cases", () => {
  for (const c of POLICY_CASES)
    test(c.name, () => {
      const denials = decide({
        namespace: { name: c.namespace.name, labels: c.namespace.labels ?? {} },
        client: c.client,
        policies: c.policies.map((p) => policy(p.name, p.spec)),
        confinement: true,
      });
      assert.deepEqual(
        denials.map((d) => d.message),
        c.denied,
      );
    });
});

test("with the confinement off, only policies decide", () => {
  const input = {
    namespace: { name: "a", labels: {} },
    client: { name: "sync", spec: { grantTypes: ["client_credentials" as const], subject: "b/svc" } },
  };
  assert.deepEqual(decide({ ...input, policies: [], confinement: false }), []);
  assert.equal(decide({ ...input, policies: [], confinement: true }).length, 1);
  const denials = decide({
    ...input,
    policies: [policy("p", { namespaces: { names: ["a"] }, subjects: ["a/*"] })],
    confinement: false,
  });
  assert.deepEqual(
    denials.map((d) => [d.policy, d.field]),
    [["p", "subject"]],
  );
});

test("the confinement label must say off exactly", () => {
  const client = { name: "sync", spec: { grantTypes: ["client_credentials" as const], subject: "svc" } };
  for (const [value, denied] of [
    ["off", 0],
    ["Off", 1],
    ["false", 1],
  ] as const)
    assert.equal(
      decide({
        namespace: { name: "a", labels: { "tollgate.dev/subject-confinement": value } },
        client,
        policies: [],
        confinement: true,
      }).length,
      denied,
      value,
    );
});

test("the service identity: subject, else client ID, else the default ID; none without client_credentials", () => {
  const cc = ["client_credentials" as const];
  assert.equal(serviceIdentity({ name: "n", spec: { grantTypes: cc, subject: "s", clientId: "c" } }, "ns"), "s");
  assert.equal(serviceIdentity({ name: "n", spec: { grantTypes: cc, clientId: "c" } }, "ns"), "c");
  assert.equal(serviceIdentity({ name: "n", spec: { grantTypes: cc } }, "ns"), "n.ns");
  assert.equal(serviceIdentity({ name: "n", spec: { grantTypes: ["password"], subject: "s" } }, "ns"), undefined);
});

test("patterns", () => {
  const table: [string, string, boolean][] = [
    ["exact", "exact", true],
    ["exact", "exactly", false],
    ["*", "", true],
    ["*", "anything", true],
    ["svc-*", "svc-", true],
    ["svc-*", "svc", false],
    ["*-sync", "orders-sync", true],
    ["a*a", "a", false],
    ["a*a", "aa", true],
    ["{namespace}/*", "ns/x", true],
    ["{namespace}/*", "other/x", false],
    ["{namespace}-{namespace}", "ns-ns", true],
  ];
  for (const [pattern, value, expected] of table)
    assert.equal(matches(pattern, value, "ns"), expected, `${pattern} ~ ${value}`);
});

test("namespace selection: names or selector; an empty selector selects all", () => {
  const ns = { name: "a", labels: { team: "x" } };
  assert.equal(selects(policy("p", { namespaces: { names: ["a"] } }), ns), true);
  assert.equal(selects(policy("p", { namespaces: { names: ["b"] } }), ns), false);
  assert.equal(selects(policy("p", { namespaces: { selector: {} } }), ns), true);
  assert.equal(
    selects(policy("p", { namespaces: { names: ["b"], selector: { matchLabels: { team: "x" } } } }), ns),
    true,
  );
  assert.equal(selects(policy("p", { namespaces: { selector: { matchLabels: { team: "y" } } } }), ns), false);
});

test("every example, applied in any namespace, passes the default install's rules", () => {
  for (const { file, doc } of exampleDocuments().filter((d) => d.doc.kind === "OAuthClient")) {
    const client = doc as unknown as OAuthClient;
    const denials = decide({
      namespace: { name: "any-team", labels: {} },
      client: { name: client.metadata.name, spec: client.spec },
      policies: [],
      confinement: true,
    });
    assert.deepEqual(denials, [], file);
  }
});
