// The client ID: issued once and never changed silently. status.clientId, once set,
// wins over everything; before that spec.clientId (immutable in the CRD) or the
// default derived from namespace and name. Who may hold an ID two resources claim is
// client-id-claim.ts's decision.
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { defaultClientId } from "../../registry/compile.ts";

export function effectiveClientId(resource: OAuthClient): string {
  const { namespace = "default", name } = resource.metadata;
  return resource.status?.clientId || resource.spec.clientId || defaultClientId(namespace, name);
}

/** Whether the resource's status says it holds its client ID. */
export function holdsClientId(resource: OAuthClient): boolean {
  return resource.status?.conditions?.some((c) => c.type === "ClientIdAvailable" && c.status === "True") ?? false;
}
