// What wakes the OAuthClient reconciler, as named sources, indexes, predicates and map
// functions (controller-runtime's Watches): each is a pure function of an informer
// event and the cache's indexes, so each can be tested alone.
import type { V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { GROUP, type OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { changedBeyondOperatorWrites } from "../../api/v1alpha1/operator-writes.ts";
import { referencedSecrets } from "../../registry/compile.ts";
import type { IndexFunction, InformerEventType } from "../controller/informer.ts";
import { objectKey } from "../kube.ts";
import { effectiveClientId, holdsClientId } from "../reconcile/client-id.ts";
import { credentialsSecretName } from "../reconcile/credentials-secret.ts";

/** The OAuthClient cache's indexes, by name. */
export const OAUTHCLIENT_INDEXES = {
  /** The client ID a resource claims. */
  clientId: (o: OAuthClient) => [effectiveClientId(o)],
  /** Every Secret a resource reads, as "namespace/name": its credentials Secret and the ones its spec references. */
  secret: (o: OAuthClient) => {
    const ns = o.metadata.namespace ?? "";
    return [credentialsSecretName(o), ...referencedSecrets(o).map((r) => r.ref.name)].map((n) => `${ns}/${n}`);
  },
  /** The ServiceAccounts a workload-identity client names, as "namespace/name". */
  serviceAccount: (o: OAuthClient) =>
    (o.spec.workloadIdentity?.serviceAccounts ?? []).map((n) => `${o.metadata.namespace ?? ""}/${n}`),
} as const satisfies Record<string, IndexFunction<OAuthClient>>;

export type OAuthClientIndex = keyof typeof OAUTHCLIENT_INDEXES;

/** Reads an index of the cache: the keys ("namespace/name") of the objects under a value. */
export type IndexLookup = (index: OAuthClientIndex, value: string) => string[];

/** A map function: the keys an informer event asks to reconcile. */
export type MapFunction<T> = (type: InformerEventType, object: T, previous?: T) => string[];

/**
 * Predicate: the update changed something to converge. A change of status alone (the
 * operator's own status writes coming back) changes nothing, and neither does the
 * operator's own finalizer appearing (the reconcile that added it went on from there).
 */
export function changedBeyondStatus(type: InformerEventType, object: OAuthClient, previous?: OAuthClient): boolean {
  return type !== "update" || !previous || changedBeyondOperatorWrites(previous, object);
}

/** The resource itself, when the event passes the predicate. */
export const ownKey: MapFunction<OAuthClient> = (type, object, previous) =>
  changedBeyondStatus(type, object, previous) ? [keyOf(object)] : [];

/**
 * The other resources claiming a client ID the object claims or claimed: when it
 * appears, goes, or its ID changes, they may win or lose the ID. The object itself is
 * not among them (ownKey decides for it), so its own status writes wake nobody.
 */
export function otherClaimants(lookup: IndexLookup): MapFunction<OAuthClient> {
  return (type, object, previous) => {
    const own = keyOf(object);
    const ids = new Set([effectiveClientId(object), ...(previous ? [effectiveClientId(previous)] : [])]);
    if (type === "update" && ids.size === 1 && !changedBeyondStatus(type, object, previous)) {
      // A status write: it matters to others only when it changes who holds the ID.
      if (previous && holdsClientId(previous) === holdsClientId(object)) return [];
    }
    const keys = new Set<string>();
    for (const id of ids) for (const key of lookup("clientId", id)) if (key !== own) keys.add(key);
    return [...keys];
  };
}

/** The resources that read a Secret, and the OAuthClient that owns it. */
export function secretReaders(lookup: IndexLookup): MapFunction<V1Secret> {
  return (_type, secret) => {
    const ns = secret.metadata?.namespace ?? "";
    const keys = new Set(lookup("secret", `${ns}/${secret.metadata?.name}`));
    for (const owner of secret.metadata?.ownerReferences ?? [])
      if (owner.kind === "OAuthClient" && owner.apiVersion.startsWith(`${GROUP}/`)) keys.add(`${ns}/${owner.name}`);
    return [...keys];
  };
}

/**
 * The clients naming a ServiceAccount: when it appears, goes, or comes back with a new
 * UID, their records gain or lose it (registry/compile.ts pins each to its UID).
 */
export function serviceAccountUsers(lookup: IndexLookup): MapFunction<V1ServiceAccount> {
  return (type, account, previous) => {
    if (type === "update" && previous?.metadata?.uid === account.metadata?.uid) return [];
    return lookup("serviceAccount", `${account.metadata?.namespace ?? ""}/${account.metadata?.name}`);
  };
}

function keyOf(object: OAuthClient): string {
  return objectKey(object.metadata.namespace, object.metadata.name);
}
