// The client ID: issued once and never changed silently. status.clientId, once set,
// wins over everything; before that spec.clientId (immutable in the CRD) or the
// default derived from namespace and name. Two resources claiming one ID: the one that
// holds it already keeps it (a working client never loses its ID to a newcomer); else
// the one created first (creationTimestamp, then uid: timestamps have one-second
// resolution) gets it. The other is not Ready.
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { defaultClientId } from "../../registry/compile.ts";
import type { Claimant, ReconcileContext } from "./context.ts";

export function effectiveClientId(resource: OAuthClient): string {
  const { namespace = "default", name } = resource.metadata;
  return resource.status?.clientId || resource.spec.clientId || defaultClientId(namespace, name);
}

/** The earlier resource claiming the same client ID, if this one is not the first. */
export function clientIdConflict(ctx: ReconcileContext, resource: OAuthClient, clientId: string): Claimant | undefined {
  const mine: Claimant = {
    namespace: resource.metadata.namespace ?? "default",
    name: resource.metadata.name,
    uid: resource.metadata.uid ?? "",
    creationTimestamp: resource.metadata.creationTimestamp ?? "",
    holds: holdsClientId(resource),
  };
  const earlier = ctx
    .claimantsOf(clientId)
    .filter((c) => c.uid !== mine.uid && compareClaimants(c, mine) < 0)
    .sort(compareClaimants);
  return earlier[0];
}

export function holdsClientId(resource: OAuthClient): boolean {
  return resource.status?.conditions?.some((c) => c.type === "ClientIdAvailable" && c.status === "True") ?? false;
}

export function compareClaimants(a: Claimant, b: Claimant): number {
  if (a.holds !== b.holds) return a.holds ? -1 : 1;
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}
