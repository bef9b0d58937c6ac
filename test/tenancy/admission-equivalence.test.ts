// The chart's ValidatingAdmissionPolicies decide as the operator does: every case of the
// shared table (test/unit/support/policy-cases.ts, which the operator's decide() passes)
// is sent to a real API server with the chart's admission policies applied, and admitted
// when the table allows it, refused when it does not, with the table's messages. The API
// server stops at the first policy that denies, so a refusal may carry fewer of them
// than the operator's condition (which lists every reason), never another.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { OAuthClientPolicySpec } from "../../api/v1alpha1/oauthclientpolicy.ts";
import { decide } from "../../operator/policy/decide.ts";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.ts";
import { POLICY_CASES } from "../unit/support/policy-cases.ts";
import {
  admissionMessages,
  applyChartTenancy,
  createNamespace,
  createPolicy,
  postClient,
  waitForAdmission,
} from "./support.ts";

let cp: ControlPlane;
/** The validations' static messages: the API server falls back to them when a messageExpression's result is too long. */
let fallbacks: string[] = [];

before(async () => {
  cp = await startControlPlane();
  const applied = await applyChartTenancy(cp);
  fallbacks = applied
    .flatMap((o) => (o.kind === "ValidatingAdmissionPolicy" ? (o.spec?.validations as { message?: string }[]) : []))
    .flatMap((v) => (v.message ? [v.message] : []));
  for (const c of POLICY_CASES) {
    await createNamespace(cp, c.namespace.name, c.namespace.labels);
    for (const p of c.policies) await createPolicy(cp, p.name, p.spec);
  }
  // Created last: once the API server refuses by it, it has seen every policy before it.
  await createNamespace(cp, "tc-sentinel");
  await createPolicy(cp, "tc-sentinel", { namespaces: { names: ["tc-sentinel"] }, grantTypes: [] });
  await waitForAdmission(cp, "tc-sentinel", { grantTypes: ["client_credentials"] });
});
after(() => cp?.stop());

for (const c of POLICY_CASES)
  test(c.name, async () => {
    const res = await postClient(cp, c.namespace.name, c.client.name, c.client.spec as never, true);
    if (c.denied.length === 0) assert.equal(res.status, 201, JSON.stringify(res.body));
    else {
      assert.equal(res.status, 403, JSON.stringify(res.body));
      const messages = admissionMessages(res);
      assert.ok(messages.length > 0, String(res.body.message));
      for (const message of messages) assert.ok(c.denied.includes(message), `not in the table: ${message}`);
    }
  });

test("a policy and a client at every size limit are evaluated within the API server's CEL budget and refused", async () => {
  const n = <T>(count: number, f: (i: number) => T): T[] => Array.from({ length: count }, (_, i) => f(i));
  const pad = (s: string, length: number) => s + "a".repeat(length - s.length);
  const labels = Object.fromEntries(n(32, (i) => [`tc-max-${i}`, pad(`v${i}`, 63)] as const));
  const namespace = "tc-max";
  await createNamespace(cp, namespace, labels);
  const spec: OAuthClientPolicySpec = {
    namespaces: {
      selector: {
        matchLabels: labels,
        matchExpressions: n(32, (i) => ({
          key: `tc-absent-${i}`,
          operator: "NotIn" as const,
          values: n(32, (j) => pad(`x${j}`, 63)),
        })),
      },
    },
    subjects: n(64, (i) => pad(`{namespace}/svc-${i}-`, 511) + "*"),
    audiences: n(64, (i) => `${pad(`https://api-${i}.example/`, 511)}*`),
    scopes: n(64, (i) => `${pad(`scope-${i}-`, 511)}*`),
    grantTypes: ["authorization_code"],
  };
  await createPolicy(cp, "tc-max", spec);
  const client = {
    grantTypes: ["client_credentials" as const],
    subject: pad(`${namespace}/`, 255),
    audiences: n(32, (i) => pad(`https://other-${i}.example/`, 512)),
    scopes: n(64, (i) => pad(`other-${i}-`, 128)),
  };
  const expected = decide({
    namespace: { name: namespace, labels },
    client: { name: "max", spec: client },
    policies: [{ apiVersion: "tollgate.dev/v1alpha1", kind: "OAuthClientPolicy", metadata: { name: "tc-max" }, spec }],
    confinement: true,
  }).map((d) => d.message);
  assert.equal(expected.length, 4, "subject, audiences, scopes and grant types all refused");
  await waitForAdmission(cp, namespace, client);
  const res = await postClient(cp, namespace, "max", client, true);
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.doesNotMatch(String(res.body.message), /cost|budget/i);
  const messages = admissionMessages(res);
  assert.ok(messages.length > 0);
  // Messages over the API server's limit give way to the static ones; decide()'s condition keeps them whole.
  for (const message of messages)
    assert.ok(expected.includes(message) || fallbacks.includes(message), `not decide()'s: ${message.slice(0, 500)}`);
  assert.ok(
    messages.some((m) => fallbacks.includes(m)),
    "this case's messages are over the limit",
  );
});
