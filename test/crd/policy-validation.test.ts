// The OAuthClientPolicy CRD's rules on a real kube-apiserver: each bad policy is refused
// with exactly the expected cause, the edges are accepted, and it is cluster-scoped.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { startControlPlane } from "../harness/control-plane.ts";
import { api, causes, type Json } from "./kube.ts";

const cp = await startControlPlane();
after(() => cp.stop());
const PATH = "/apis/tollgate.dev/v1alpha1/oauthclientpolicies";
let count = 0;
const create = (spec: Json) => {
  count += 1;
  return api(cp.kubeConfig, "POST", PATH, {
    apiVersion: "tollgate.dev/v1alpha1",
    kind: "OAuthClientPolicy",
    metadata: { name: `p-${count}` },
    spec,
  });
};

/** [case, spec, the field refused, the message a person reads] */
const refused: [string, Json, string, string][] = [
  [
    "no namespaces selected",
    { namespaces: {} },
    "spec.namespaces",
    "select namespaces by names, by selector, or both (selector: {} selects every namespace)",
  ],
  [
    "two wildcards in a pattern",
    { namespaces: { names: ["a"] }, subjects: ["svc-*-*"] },
    "spec.subjects[0]",
    'a pattern may hold at most one "*"',
  ],
  [
    "In without values",
    { namespaces: { selector: { matchExpressions: [{ key: "team", operator: "In" }] } } },
    "spec.namespaces.selector.matchExpressions[0]",
    "In and NotIn need at least one value; Exists and DoesNotExist take none",
  ],
  [
    "Exists with values",
    { namespaces: { selector: { matchExpressions: [{ key: "team", operator: "Exists", values: ["x"] }] } } },
    "spec.namespaces.selector.matchExpressions[0]",
    "In and NotIn need at least one value; Exists and DoesNotExist take none",
  ],
  [
    "a grant type that does not exist",
    { namespaces: { names: ["a"] }, grantTypes: ["implicit"] },
    "spec.grantTypes[0]",
    'Unsupported value: "implicit"',
  ],
];
for (const [name, spec, field, message] of refused)
  test(`refused: ${name}`, async () => {
    const res = await create(spec);
    assert.equal(res.status, 422, JSON.stringify(res.body));
    // A schema error also reports that the CEL rules were skipped ("<nil>: ..."): not a second fault.
    const [cause, ...more] = causes(res).filter((c) => !c.startsWith("<nil>: "));
    assert.deepEqual(more, [], "one fault, one cause");
    assert.ok(cause?.startsWith(`${field}: `) && cause.includes(message), cause);
  });

test("accepted: every namespace, empty lists, one wildcard and a placeholder", async () => {
  const res = await create({
    namespaces: { selector: {} },
    subjects: ["{namespace}/*"],
    audiences: [],
    scopes: ["orders:*"],
    grantTypes: [],
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
});

test("cluster-scoped: there is no namespaced path", async () => {
  const res = await api<{ resources: { name: string; namespaced: boolean }[] }>(
    cp.kubeConfig,
    "GET",
    "/apis/tollgate.dev/v1alpha1",
  );
  const resource = res.body.resources.find((r) => r.name === "oauthclientpolicies");
  assert.equal(resource?.namespaced, false);
});
