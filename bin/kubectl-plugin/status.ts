// `kubectl tollgate status <client>`: what a person asks first, on one screen: is it
// Ready and why, and will it get there alone (Reconciling) or not without them (Stalled);
// what the registry holds (RegistryReady, Disabled); where its credentials are, when the
// secret last rotated, whether tokens were revoked; every condition; what happened (Events).
import type { CoreV1Event } from "@kubernetes/client-node";
import { type Condition, KIND, type OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { credentialsSecretName } from "../../operator/reconcile/credentials-secret.ts";
import { type PluginContext, readClient } from "./context.ts";

/** Rows as aligned columns, the way kubectl prints tables. */
function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd()).join("\n");
}

function eventTime(event: CoreV1Event): string {
  const time =
    event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp;
  return time ? new Date(time).toISOString() : "";
}

function find(client: OAuthClient, type: string): Condition | undefined {
  return client.status?.conditions?.find((c) => c.type === type);
}

/** One line in kstatus's terms (what Flux and the Argo CD check decide by). */
function state(client: OAuthClient): string {
  const generation = client.metadata.generation ?? 0;
  if (client.metadata.deletionTimestamp) return "Terminating: being deleted";
  if ((client.status?.observedGeneration ?? 0) < generation)
    return `InProgress: the operator has not observed generation ${generation} yet`;
  const stalled = find(client, "Stalled");
  if (stalled?.status === "True")
    return `Stalled (${stalled.reason}): retrying cannot help; change the spec or the input it names`;
  const reconciling = find(client, "Reconciling");
  if (reconciling?.status === "True") return `Reconciling (${reconciling.reason}): the operator keeps at it`;
  const ready = find(client, "Ready");
  if (ready?.status === "True") return ready.reason === "Disabled" ? "Ready, disabled" : "Ready";
  return ready ? `Not ready (${ready.reason})` : "Not reconciled yet";
}

/** What the registry holds, from RegistryReady and the status fields about it. */
function registry(client: OAuthClient): string {
  const registered = find(client, "RegistryReady");
  if (!registered) return "(nothing reported yet)";
  const what =
    registered.status === "True"
      ? "registered"
      : registered.status === "Unknown"
        ? "not attempted"
        : registered.reason === "RegistryUnavailable"
          ? "unreachable"
          : "not written";
  return `${what} (${registered.reason}, since ${registered.lastTransitionTime}): ${registered.message}`;
}

function disabled(client: OAuthClient): string {
  const declared = String(client.spec.disabled ?? false);
  const inEffect = find(client, "Disabled");
  if (!inEffect) return declared;
  return `${declared}; the registry ${inEffect.status === "True" ? "refuses" : "serves"} it since ${inEffect.lastTransitionTime}`;
}

export async function status(context: PluginContext, name: string): Promise<void> {
  const client = await readClient(context, name);
  const { spec, status: observed = {} } = client;
  const out = context.print;
  out(`OAuthClient ${context.namespace}/${name}`);
  out(
    table([
      ["State:", state(client)],
      ["Registry:", registry(client)],
      ["Client ID:", observed.clientId ?? "(not registered yet)"],
      ["Secret:", observed.secretName ?? credentialsSecretName(client)],
      ["Last rotation:", observed.secretRotatedAt ?? "never"],
      ["Disabled:", disabled(client)],
      ["Tokens revoked before:", spec.revokeTokensIssuedBefore ?? "-"],
      ["Token endpoint:", observed.tokenEndpoint ?? "-"],
      ["Observed generation:", `${observed.observedGeneration ?? "-"} of ${client.metadata.generation ?? "-"}`],
    ]),
  );
  out("Conditions:");
  const conditions = observed.conditions ?? [];
  if (conditions.length === 0) out("  (none yet: has the operator seen it?)");
  else
    out(
      table([
        ["TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"],
        ...conditions.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime, c.message]),
      ]),
    );
  const { items } = await context.kube.core.listNamespacedEvent({
    namespace: context.namespace,
    fieldSelector: `involvedObject.kind=${KIND},involvedObject.name=${name}`,
  });
  const recent = items.sort((a, b) => eventTime(a).localeCompare(eventTime(b))).slice(-10);
  out("Events (most recent last):");
  if (recent.length === 0) out("  (none)");
  else
    out(
      table([
        ["TIME", "TYPE", "REASON", "MESSAGE"],
        ...recent.map((e) => [eventTime(e), e.type ?? "", e.reason ?? "", e.message ?? ""]),
      ]),
    );
}
