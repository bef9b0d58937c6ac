// The tenancy stage of a reconcile: ask the policy decision (operator/policy/decide.ts)
// whether this namespace may declare this client, and when it may not, take a record
// the client already had out of the registry, so a policy change stops a client that
// was allowed yesterday (the tombstone the delete records keeps its tokens dead).
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { type Denial, decide } from "../policy/decide.ts";
import type { ReconcileContext } from "./reconcile-context.ts";

export function checkPolicy(ctx: ReconcileContext, resource: OAuthClient): Denial[] {
  const namespace = resource.metadata.namespace ?? "default";
  return decide({
    namespace: { name: namespace, labels: ctx.tenancy.namespaceLabels(namespace) },
    client: { name: resource.metadata.name, spec: resource.spec },
    policies: ctx.tenancy.policies(),
    confinement: ctx.tenancy.confinement,
  });
}

/** Removes this resource's registry record, if it has one; returns whether it did. */
export async function unregisterDenied(
  ctx: ReconcileContext,
  resource: OAuthClient,
  clientId: string,
): Promise<boolean> {
  const record = await ctx.registry.get(clientId);
  if (!record || record.sourceUid !== resource.metadata.uid) return false;
  await ctx.registry.delete(clientId, Math.floor(ctx.now() / 1000));
  return true;
}
