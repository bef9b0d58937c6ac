// Status in the Kubernetes API conventions' shape: conditions (metav1.Condition: type,
// status, reason, message, lastTransitionTime, observedGeneration), one per stage and
// a summary `Ready`, plus the facts a person or a tool needs (client ID, Secret name,
// when the secret last changed, the endpoints). Written with a merge patch to the
// status subresource, and only when something changed, so a converged resource
// costs no writes on resync.
//
// Beside Ready, the two conditions kstatus (sigs.k8s.io/cli-utils, what Flux and kpt
// wait with) reads first, in its "abnormal-true" polarity: present only while True,
// absent when all is normal. `Reconciling` while the operator still works towards
// Ready on its own (a failed write retried with backoff, an adopted Secret not created
// yet): kstatus InProgress. `Stalled` when it cannot get there until a person changes
// an input (an invalid spec or referenced Secret, a client ID taken, a Secret that is
// not ours): kstatus Failed, so a GitOps tool can tell a client that will not get there
// from one on its way. Ready alone cannot say which of the two a False is. `Disabled` says what the registry
// holds: True once the token server has been told to refuse the client.
import {
  API_VERSION,
  type Condition,
  type OAuthClient,
  type OAuthClientStatus,
} from "../../api/v1alpha1/oauthclient.ts";
import { patchOAuthClient } from "../kube.ts";
import type { ReconcileContext } from "./reconcile-context.ts";

/** The stage conditions, in reconcile order; Ready summarizes them. */
export const ConditionType = {
  Ready: "Ready",
  // Tenancy: no OAuthClientPolicy and no subject confinement refuses the client (reason PolicyDenied when one does).
  PolicyAllowed: "PolicyAllowed",
  ClientIdAvailable: "ClientIdAvailable",
  CredentialsReady: "CredentialsReady",
  SecretReady: "SecretReady",
  RegistryReady: "RegistryReady",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
  Disabled: "Disabled",
  /** Not a stage: whether spec.revokeTokensIssuedBefore is the revocation in force (it only moves forward). */
  TokenRevocation: "TokenRevocation",
} as const;
export const STAGES = [
  ConditionType.PolicyAllowed,
  ConditionType.ClientIdAvailable,
  ConditionType.CredentialsReady,
  ConditionType.SecretReady,
  ConditionType.RegistryReady,
] as const;

export interface ConditionInput {
  type: string;
  status: Condition["status"];
  reason: string;
  message: string;
}

/** Builds the next status from the current one; lastTransitionTime moves only when a status flips. */
export class StatusBuilder {
  readonly #resource: OAuthClient;
  readonly #status: OAuthClientStatus;
  readonly #now: string;

  constructor(resource: OAuthClient, now: number) {
    this.#resource = resource;
    this.#status = structuredClone(resource.status ?? {});
    this.#now = new Date(now).toISOString();
  }

  set(fields: Omit<OAuthClientStatus, "conditions" | "observedGeneration">): this {
    Object.assign(this.#status, fields);
    return this;
  }

  condition(input: ConditionInput): this {
    const conditions = this.#status.conditions ?? [];
    const existing = conditions.find((c) => c.type === input.type);
    const next: Condition = {
      ...input,
      message: input.message.slice(0, 32_768),
      lastTransitionTime: existing && existing.status === input.status ? existing.lastTransitionTime : this.#now,
      observedGeneration: this.#resource.metadata.generation ?? 0,
    };
    this.#status.conditions = [...conditions.filter((c) => c.type !== input.type), next];
    return this;
  }

  /** Marks the stages after a failed one as Unknown: they were not attempted. */
  skipped(types: readonly string[], reason: string, message: string): this {
    for (const type of types) this.condition({ type, status: "Unknown", reason, message });
    return this;
  }

  get(type: string): Condition | undefined {
    return this.#status.conditions?.find((c) => c.type === type);
  }

  remove(type: string): this {
    if (this.#status.conditions) this.#status.conditions = this.#status.conditions.filter((c) => c.type !== type);
    return this;
  }

  /**
   * Sets Ready from the stages: True if all are, else the first stage that is not. A
   * stage that is not True also sets `Stalled` (when `stalled`: nothing changes until a
   * person changes an input) or else `Reconciling`, with its reason and message; both go
   * when all stages are True. Then `Disabled` follows spec.disabled: the registry holds it.
   * A disabled client is Ready (reason Disabled): its declared state is in effect, so
   * `kubectl wait --for=condition=Ready` and kstatus (Current) confirm a disable as they
   * confirm any change, and `Disabled` (the printer column) says it gets no tokens.
   */
  summarize(stalled = false): this {
    const failing = STAGES.map((t) => this.get(t)).find((c) => c && c.status !== "True");
    if (failing) {
      const { reason, message } = failing;
      this.condition({ type: ConditionType.Ready, status: "False", reason, message });
      this.condition({
        type: stalled ? ConditionType.Stalled : ConditionType.Reconciling,
        status: "True",
        reason,
        message,
      });
      return this.remove(stalled ? ConditionType.Reconciling : ConditionType.Stalled);
    }
    const disabled = this.#resource.spec.disabled === true;
    const { clientId, secretName } = this.#status;
    this.condition(
      disabled
        ? {
            type: ConditionType.Ready,
            status: "True",
            reason: "Disabled",
            message: `Client ${clientId} is registered and disabled: it gets no tokens and its tokens introspect as inactive; set spec.disabled to false to enable it`,
          }
        : {
            type: ConditionType.Ready,
            status: "True",
            reason: "Ready",
            message: `Client ${clientId} is registered; credentials are in Secret ${secretName}`,
          },
    );
    this.condition(
      disabled
        ? {
            type: ConditionType.Disabled,
            status: "True",
            reason: "DisabledBySpec",
            message: `spec.disabled is true: the registry marks client ${clientId} disabled`,
          }
        : {
            type: ConditionType.Disabled,
            status: "False",
            reason: "Enabled",
            message: `The registry serves client ${clientId}`,
          },
    );
    return this.remove(ConditionType.Reconciling).remove(ConditionType.Stalled);
  }

  build(): OAuthClientStatus {
    const order = [
      ConditionType.Ready,
      ConditionType.Stalled,
      ConditionType.Reconciling,
      ConditionType.Disabled,
      ...STAGES,
    ] as string[];
    const conditions = [...(this.#status.conditions ?? [])].sort((a, b) => rank(order, a.type) - rank(order, b.type));
    return { ...this.#status, conditions, observedGeneration: this.#resource.metadata.generation ?? 0 };
  }
}

function rank(order: string[], type: string): number {
  const i = order.indexOf(type);
  return i < 0 ? order.length : i;
}

/** Patches status if it differs from what the resource holds; returns whether it wrote. */
export async function writeStatus(
  ctx: ReconcileContext,
  resource: OAuthClient,
  status: OAuthClientStatus,
): Promise<boolean> {
  if (stableJson(status) === stableJson(resource.status ?? {})) return false;
  const { namespace = "default", name } = resource.metadata;
  const updated = await patchOAuthClient(
    ctx.kube,
    namespace,
    name,
    { apiVersion: API_VERSION, status },
    { status: true, fieldManager: ctx.fieldManager },
  );
  resource.metadata.resourceVersion = updated.metadata.resourceVersion;
  resource.status = updated.status;
  ctx.wroteOAuthClient(updated);
  return true;
}

/** JSON with object keys sorted, for comparing values that went through different serializers. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
