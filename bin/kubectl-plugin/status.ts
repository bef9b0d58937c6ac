// `kubectl tollgate status <client>`: what a person asks first, on one screen: is it
// Ready and why (every condition), where its credentials are, when the secret last
// rotated, whether it is disabled or has tokens revoked, and what happened (Events).
import type { CoreV1Event } from "@kubernetes/client-node";
import { KIND } from "../../api/v1alpha1/oauthclient.ts";
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

export async function status(context: PluginContext, name: string): Promise<void> {
  const client = await readClient(context, name);
  const { spec, status: observed = {} } = client;
  const out = context.print;
  out(`OAuthClient ${context.namespace}/${name}`);
  out(
    table([
      ["Client ID:", observed.clientId ?? "(not registered yet)"],
      ["Secret:", observed.secretName ?? credentialsSecretName(client)],
      ["Last rotation:", observed.secretRotatedAt ?? "never"],
      ["Disabled:", String(spec.disabled ?? false)],
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
