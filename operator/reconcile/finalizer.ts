// The finalizer holds an OAuthClient in the API server until its registry entry is
// gone and its tokens are dead, so a `kubectl delete` can never leave a working client
// behind in Redis. The patches carry the resourceVersion they were computed from: a
// concurrent change makes them fail with a conflict (retried), never drops someone
// else's finalizer.
import { FINALIZER, type OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { patchOAuthClient } from "../kube.ts";
import { effectiveClientId } from "./client-id.ts";
import { holdsClaim, releaseClientId } from "./client-id-claim.ts";
import { EventReason } from "./events.ts";
import type { ReconcileContext } from "./reconcile-context.ts";

export function hasFinalizer(resource: OAuthClient): boolean {
  return resource.metadata.finalizers?.includes(FINALIZER) ?? false;
}

export async function addFinalizer(ctx: ReconcileContext, resource: OAuthClient): Promise<void> {
  if (hasFinalizer(resource)) return;
  await patchFinalizers(ctx, resource, [...(resource.metadata.finalizers ?? []), FINALIZER]);
}

/**
 * Deletion: remove the registry entry and record a tombstone (tokens issued to this
 * client ID stay dead even if the ID is registered again), then release the finalizer.
 * A record that belongs to another resource (this one lost a client-ID conflict) is
 * left alone. The client-ID claim is released last, so another claimant can take it.
 */
export async function finalize(ctx: ReconcileContext, resource: OAuthClient): Promise<void> {
  if (!hasFinalizer(resource)) return;
  const clientId = effectiveClientId(resource);
  const record = await ctx.registry.get(clientId);
  const ours = record ? record.sourceUid === resource.metadata.uid : await holdsClaim(ctx, resource, clientId);
  if (ours) {
    await ctx.registry.delete(clientId, Math.floor(ctx.now() / 1000));
    if (record)
      ctx.events.emit(
        resource,
        "Normal",
        EventReason.ClientRemoved,
        `Removed client ${clientId} from the registry; its tokens are revoked`,
        "Delete",
      );
  }
  await releaseClientId(ctx, resource, clientId);
  await patchFinalizers(
    ctx,
    resource,
    (resource.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
  );
}

async function patchFinalizers(ctx: ReconcileContext, resource: OAuthClient, finalizers: string[]): Promise<void> {
  const { namespace = "default", name, resourceVersion } = resource.metadata;
  const updated = await patchOAuthClient(
    ctx.kube,
    namespace,
    name,
    { metadata: { finalizers, resourceVersion } },
    { fieldManager: ctx.fieldManager },
  );
  resource.metadata = updated.metadata;
  ctx.wroteOAuthClient(updated);
}
