// kstatus (what Flux and kpt wait with) on every OAuthClient state recorded from the real
// operator (test/gitops/states.ts), and the conditions StatusBuilder writes in each outcome
// of a reconcile: Reconciling and Stalled present only while True, never both, Ready True
// for a disabled client with Disabled beside it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { API_VERSION, KIND, type OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";
import { ConditionType, StatusBuilder } from "../../../operator/reconcile/status.ts";
import { readRecorded, STATES } from "../../gitops/states.ts";
import { kstatus } from "../support/kstatus.ts";

describe("kstatus on the recorded states", () => {
  for (const state of STATES)
    test(`${state.name}: ${state.kstatus.status}`, () => {
      const result = kstatus(readRecorded(state.name));
      assert.equal(result.status, state.kstatus.status, result.message);
      assert.equal(result.reason, state.kstatus.reason);
    });

  test("without the CRD's status default, a just-applied client would read Current (what the default prevents)", () => {
    const applied = readRecorded("applied");
    delete applied.status;
    assert.equal(kstatus(applied).status, "Current");
  });
});

const T0 = Date.parse("2026-12-01T00:00:00Z");

function client(spec: Partial<OAuthClient["spec"]> = {}, status?: OAuthClient["status"], generation = 1): OAuthClient {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: "orders", namespace: "shop", generation },
    spec: { grantTypes: ["client_credentials"], ...spec },
    ...(status ? { status } : {}),
  };
}

const STAGE_OK = [
  { type: ConditionType.ClientIdAvailable, reason: "ClientIdAssigned" },
  { type: ConditionType.CredentialsReady, reason: "SecretGenerated" },
  { type: ConditionType.SecretReady, reason: "SecretWritten" },
  { type: ConditionType.RegistryReady, reason: "Registered" },
];

/** One reconcile's outcome on `resource`: every stage True, or the first `failing` stage not. */
function reconciled(
  resource: OAuthClient,
  outcome: { failing?: { type: string; reason: string }; stalled?: boolean },
  at = T0,
) {
  const builder = new StatusBuilder(resource, at).set({ clientId: "orders.shop", secretName: "orders-oauth-client" });
  for (const stage of STAGE_OK) {
    if (stage.type === outcome.failing?.type) {
      builder.condition({ ...outcome.failing, status: "False", message: `${outcome.failing.reason} happened` });
      break;
    }
    builder.condition({ ...stage, status: "True", message: "fine" });
  }
  return builder.summarize(outcome.stalled).build();
}

const summary = (status: OAuthClient["status"]) =>
  Object.fromEntries(
    (status?.conditions ?? [])
      .filter((c) => ["Ready", "Reconciling", "Stalled", "Disabled"].includes(c.type))
      .map((c) => [c.type, `${c.status} ${c.reason}`]),
  );

describe("the conditions of each outcome", () => {
  const cases: {
    name: string;
    spec?: Partial<OAuthClient["spec"]>;
    outcome: Parameters<typeof reconciled>[1];
    conditions: Record<string, string>;
    kstatus: string;
  }[] = [
    {
      name: "registered",
      outcome: {},
      conditions: { Ready: "True Ready", Disabled: "False Enabled" },
      kstatus: "Current",
    },
    {
      name: "registered and disabled",
      spec: { disabled: true },
      outcome: {},
      conditions: { Ready: "True Disabled", Disabled: "True DisabledBySpec" },
      kstatus: "Current",
    },
    {
      name: "a registry write retried",
      outcome: { failing: { type: ConditionType.RegistryReady, reason: "RegistryUnavailable" } },
      conditions: { Ready: "False RegistryUnavailable", Reconciling: "True RegistryUnavailable" },
      kstatus: "InProgress",
    },
    {
      name: "waiting for an adopted Secret",
      outcome: { failing: { type: ConditionType.CredentialsReady, reason: "WaitingForSecret" } },
      conditions: { Ready: "False WaitingForSecret", Reconciling: "True WaitingForSecret" },
      kstatus: "InProgress",
    },
    {
      name: "an invalid spec",
      outcome: { failing: { type: ConditionType.RegistryReady, reason: "InvalidSpec" }, stalled: true },
      conditions: { Ready: "False InvalidSpec", Stalled: "True InvalidSpec" },
      kstatus: "Failed",
    },
    {
      name: "a client ID taken",
      outcome: { failing: { type: ConditionType.ClientIdAvailable, reason: "ClientIdConflict" }, stalled: true },
      conditions: { Ready: "False ClientIdConflict", Stalled: "True ClientIdConflict" },
      kstatus: "Failed",
    },
  ];
  for (const c of cases)
    test(`${c.name}: ${Object.values(c.conditions).join(", ")}; kstatus ${c.kstatus}`, () => {
      const resource = client(c.spec);
      const status = reconciled(resource, c.outcome);
      assert.deepEqual(summary(status), c.conditions);
      assert.equal(kstatus({ ...resource, status }).status, c.kstatus);
    });

  test("Stalled and Reconciling replace each other and both go once Ready; Ready keeps its transition time while True", () => {
    const resource = client();
    resource.status = reconciled(resource, {
      failing: { type: ConditionType.RegistryReady, reason: "InvalidSpec" },
      stalled: true,
    });
    resource.status = reconciled(
      resource,
      { failing: { type: ConditionType.RegistryReady, reason: "RegistryUnavailable" } },
      T0 + 1000,
    );
    assert.deepEqual(summary(resource.status), {
      Ready: "False RegistryUnavailable",
      Reconciling: "True RegistryUnavailable",
    });
    resource.status = reconciled(resource, {}, T0 + 2000);
    assert.deepEqual(summary(resource.status), { Ready: "True Ready", Disabled: "False Enabled" });
    const readySince = resource.status.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime;
    assert.equal(readySince, new Date(T0 + 2000).toISOString());

    // Disabling keeps Ready True (its transition time too) and flips Disabled.
    const disabled = { ...resource, spec: { ...resource.spec, disabled: true } };
    disabled.status = reconciled(disabled, {}, T0 + 3000);
    const ready = disabled.status.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, "Disabled");
    assert.equal(ready?.lastTransitionTime, readySince);
    const flag = disabled.status.conditions?.find((c) => c.type === "Disabled");
    assert.equal(flag?.lastTransitionTime, new Date(T0 + 3000).toISOString());
  });

  test("conditions are ordered Ready, Stalled, Reconciling, Disabled, then the stages", () => {
    const resource = client();
    const status = reconciled(resource, {
      failing: { type: ConditionType.SecretReady, reason: "SecretWriteFailed" },
    });
    assert.deepEqual(
      status.conditions?.map((c) => c.type),
      ["Ready", "Reconciling", "ClientIdAvailable", "CredentialsReady", "SecretReady"],
    );
  });
});
