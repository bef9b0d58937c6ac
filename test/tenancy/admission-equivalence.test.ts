// The chart's ValidatingAdmissionPolicies decide as the operator does: every case of the
// shared table (test/unit/support/policy-cases.ts, which the operator's decide() passes)
// is sent to a real API server with the chart's admission policies applied, and admitted
// when the table allows it, refused when it does not, with the table's messages. The API
// server stops at the first policy that denies, so a refusal may carry fewer of them
// than the operator's condition (which lists every reason), never another.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
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

before(async () => {
  cp = await startControlPlane();
  await applyChartTenancy(cp);
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
