// Who holds a client ID, decided atomically in the API server: one
// coordination.k8s.io Lease per client ID in the operator's namespace, whose
// holderIdentity is the holding OAuthClient's uid. Creating it is the claim: of two
// resources claiming one ID at the same moment (one `kubectl apply` of both), the API
// server lets exactly one create succeed, so exactly one ever holds the ID, whatever
// the timing and whatever the informer cache shows. A holder releases the ID when it
// is deleted (the finalizer deletes the Lease); a claim whose holder is gone (or one
// emptied by an older operator) is taken over with its resourceVersion, atomically again.
import { createHash } from "node:crypto";
import type { V1Lease } from "@kubernetes/client-node";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { isConflict, isNotFound, readLease, readOAuthClient } from "../kube.ts";
import { holdsClientId } from "./client-id.ts";
import type { ReconcileContext } from "./reconcile-context.ts";

export const CLAIM_ANNOTATIONS = {
  clientId: "tollgate.dev/client-id",
  holder: "tollgate.dev/holder",
} as const;

export type ClaimOutcome = { held: true } | { held: false; holder: { namespace: string; name: string } };

/** The Lease of a client ID: a hash, so any client ID makes a valid object name. */
export function claimName(clientId: string): string {
  return `tollgate-client-id-${createHash("sha256").update(clientId).digest("hex").slice(0, 40)}`;
}

export async function claimClientId(
  ctx: ReconcileContext,
  resource: OAuthClient,
  clientId: string,
): Promise<ClaimOutcome> {
  const namespace = ctx.claimNamespace;
  const name = claimName(clientId);
  const uid = resource.metadata.uid ?? "";
  // Installations from before claims: a resource that holds the ID by its status claims
  // it on its own reconcile; a newcomer does not race it for the Lease.
  const incumbent = ctx.claimantsOf(clientId).find((c) => c.holds && c.uid !== uid);
  // A resource that does not hold the ID yet, with no other in the cache holding it (a new
  // one, mostly), tries the create first: when no claim exists, that is one request instead
  // of two, and when one does, the conflict sends it to the read, as if it had read first.
  let lease = holdsClientId(resource) || incumbent ? await readLease(ctx.kube, namespace, name) : undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!lease) {
      if (incumbent && !holdsClientId(resource))
        return { held: false, holder: { namespace: incumbent.namespace, name: incumbent.name } };
      try {
        await ctx.kube.coordination.createNamespacedLease({
          namespace,
          body: claimLease(resource, clientId, name, namespace),
          fieldManager: ctx.fieldManager,
        });
        return { held: true };
      } catch (error) {
        if (!isConflict(error)) throw error;
        lease = await readLease(ctx.kube, namespace, name);
        continue;
      }
    }
    const holder = lease.spec?.holderIdentity ?? "";
    if (holder === uid) return { held: true };
    const holderName = parseHolder(lease);
    if (holder && holderName && (await stillHolds(ctx, holderName, holder))) return { held: false, holder: holderName };
    try {
      lease.spec = { ...lease.spec, holderIdentity: uid };
      lease.metadata = {
        ...lease.metadata,
        annotations: { ...lease.metadata?.annotations, ...claimAnnotations(resource, clientId) },
      };
      await ctx.kube.coordination.replaceNamespacedLease({ namespace, name, body: lease });
      return { held: true };
    } catch (error) {
      if (!isConflict(error)) throw error;
      lease = await readLease(ctx.kube, namespace, name);
    }
  }
  throw new Error(`the claim on client ID "${clientId}" keeps changing; retrying`);
}

/**
 * Releases the ID if this resource holds it (on deletion), so another claimant can take
 * it: the Lease is deleted, on condition that it is still the version this resource
 * holds, so claims do not pile up in the operator's namespace for every ID ever used.
 */
export async function releaseClientId(ctx: ReconcileContext, resource: OAuthClient, clientId: string): Promise<void> {
  const namespace = ctx.claimNamespace;
  const name = claimName(clientId);
  const lease = await readLease(ctx.kube, namespace, name);
  if (!lease || lease.spec?.holderIdentity !== resource.metadata.uid) return;
  try {
    await ctx.kube.coordination.deleteNamespacedLease({
      namespace,
      name,
      body: { preconditions: { uid: lease.metadata?.uid, resourceVersion: lease.metadata?.resourceVersion } },
    });
  } catch (error) {
    // Gone already, or changed since the read: either way this resource holds it no more.
    if (!isNotFound(error) && !isConflict(error)) throw error;
  }
}

/** Whether this resource holds the ID per its claim (no claim: nobody does). */
export async function holdsClaim(ctx: ReconcileContext, resource: OAuthClient, clientId: string): Promise<boolean> {
  const lease = await readLease(ctx.kube, ctx.claimNamespace, claimName(clientId));
  return lease?.spec?.holderIdentity === resource.metadata.uid;
}

function claimAnnotations(resource: OAuthClient, clientId: string): Record<string, string> {
  return {
    [CLAIM_ANNOTATIONS.clientId]: clientId,
    [CLAIM_ANNOTATIONS.holder]: `${resource.metadata.namespace ?? "default"}/${resource.metadata.name}`,
  };
}

function claimLease(resource: OAuthClient, clientId: string, name: string, namespace: string): V1Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name,
      namespace,
      labels: { "app.kubernetes.io/managed-by": "tollgate-operator" },
      annotations: claimAnnotations(resource, clientId),
    },
    spec: { holderIdentity: resource.metadata.uid ?? "" },
  };
}

function parseHolder(lease: V1Lease): { namespace: string; name: string } | undefined {
  const value = lease.metadata?.annotations?.[CLAIM_ANNOTATIONS.holder] ?? "";
  const slash = value.indexOf("/");
  return slash > 0 ? { namespace: value.slice(0, slash), name: value.slice(slash + 1) } : undefined;
}

/** The holder still exists as the same object (a holder deleted without its finalizer running holds nothing). */
async function stillHolds(
  ctx: ReconcileContext,
  holder: { namespace: string; name: string },
  uid: string,
): Promise<boolean> {
  const current = await readOAuthClient(ctx.kube, holder.namespace, holder.name);
  return current?.metadata.uid === uid;
}
