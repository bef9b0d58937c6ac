// The OAuthClient controller: its sources (OAuthClients and Secrets in the watched
// namespaces), its watches (oauthclient-watches.ts) and its reconciler
// (reconcile/oauthclient-reconciler.ts), ready to be added to the manager.
import type { KubeConfig, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { GROUP, type OAuthClient, PLURAL, VERSION } from "../../api/v1alpha1/oauthclient.ts";
import { setHeaderOptions } from "../../common/kubernetes-client.ts";
import type { Logger } from "../../common/logger.ts";
import type { RegistryWriter } from "../../registry/record.ts";
import { type OperatorConfig, tokenEndpointOf } from "../config.ts";
import { Informer, type ListPage, type ListWatchSource } from "../controller/informer.ts";
import { InformerGroup } from "../controller/informer-group.ts";
import { type KubeClients, objectKey, readOAuthClient } from "../kube.ts";
import type { ControllerSpec } from "../manager.ts";
import { holdsClientId } from "../reconcile/client-id.ts";
import type { EventRecorder } from "../reconcile/events.ts";
import { OAuthClientReconciler } from "../reconcile/oauthclient-reconciler.ts";
import type { Claimant, ReconcileContext } from "../reconcile/reconcile-context.ts";
import { MANAGED_BY, MANAGED_BY_LABEL } from "../reconcile/secret.ts";
import { CachedReads } from "./cached-reads.ts";
import {
  type IndexLookup,
  OAUTHCLIENT_INDEXES,
  otherClaimants,
  ownKey,
  secretReaders,
  serviceAccountUsers,
} from "./oauthclient-watches.ts";
import { OwnWrites } from "./own-writes.ts";
import { namespacesToRecheck, type PolicySources, policySources } from "./policy-sources.ts";

export const OAUTHCLIENT_CONTROLLER = "oauthclient";
export const FIELD_MANAGER = "tollgate-operator";

export interface OAuthClientControllerDeps {
  kube: KubeClients;
  kubeConfig: KubeConfig;
  config: OperatorConfig;
  registry: RegistryWriter & { readonly available: boolean };
  events: EventRecorder;
  log: Logger;
  onRegistryWriteError(): void;
}

export interface OAuthClientController {
  spec: ControllerSpec;
  oauthClients: InformerGroup<OAuthClient>;
  secrets: InformerGroup<V1Secret>;
  serviceAccounts: InformerGroup<V1ServiceAccount>;
  /** OAuthClientPolicies and Namespaces, for the tenancy decision. */
  tenancy: PolicySources;
}

export function oauthClientController(deps: OAuthClientControllerDeps): OAuthClientController {
  const { kube, kubeConfig, config, registry, log } = deps;
  const scopes = config.namespaces.length ? config.namespaces : [""];
  const informerOptions = { stallTimeoutMs: config.watchStallTimeoutMs };
  const group = <T extends { metadata?: { name?: string } }>(
    kind: string,
    source: (ns: string) => ListWatchSource<T>,
  ): InformerGroup<T> =>
    new InformerGroup<T>(
      new Map(
        scopes.map((ns) => [
          ns,
          new Informer(`${kind}${ns ? `/${ns}` : ""}`, kubeConfig, source(ns), log, informerOptions),
        ]),
      ),
    );
  const oauthClients = group<OAuthClient>("oauthclients", (ns) => oauthClientSource(kube, ns));
  // Declared before the informers that read it start: a Secret is kept if an OAuthClient reads it.
  const lookup: IndexLookup = (index, value) => oauthClients.byIndex(index, value);
  const secrets = group<V1Secret>("secrets", (ns) =>
    secretSource(
      kube,
      ns,
      (secret) => lookup("secret", objectKey(secret.metadata?.namespace, secret.metadata?.name)).length > 0,
    ),
  );
  const serviceAccounts = group<V1ServiceAccount>("serviceaccounts", (ns) => serviceAccountSource(kube, ns));
  for (const informer of oauthClients.members)
    for (const [name, index] of Object.entries(OAUTHCLIENT_INDEXES)) informer.addIndex(name, index);
  const ownWrites = new OwnWrites();
  const cachedReads = new CachedReads();
  const tenancy = policySources(kube, kubeConfig, log, informerOptions);

  const ctx: ReconcileContext = {
    kube,
    registry,
    issuer: config.issuer,
    tokenEndpoint: tokenEndpointOf(config.issuer),
    fieldManager: FIELD_MANAGER,
    claimantsOf: (clientId) => claimants(oauthClients, clientId),
    events: deps.events,
    onRegistryWriteError: deps.onRegistryWriteError,
    registryAvailable: () => registry.available,
    claimNamespace: config.leaseNamespace,
    writing: (secret) => ownWrites.remember(secret),
    wrote: (secret) => ownWrites.wrote(secret),
    async currentOAuthClient(namespace, name) {
      const cached = oauthClients.get(namespace, name);
      // A copy of the cache's: the reconcile updates its resource as it writes.
      if (cached && cachedReads.oauthClientIsCurrent(cached)) return structuredClone(cached);
      return readOAuthClient(kube, namespace, name);
    },
    wroteOAuthClient: (resource) => cachedReads.wroteOAuthClient(resource),
    credentialsSecretAbsent: (resource, secretName) =>
      secrets.hasSynced() &&
      cachedReads.secretKnownAbsent(
        resource,
        secretName,
        secrets.get(resource.metadata.namespace ?? "", secretName) !== undefined,
      ),
    credentialsSecretExists: (namespace, secretName) => cachedReads.secretExists(namespace, secretName),
    now: () => Date.now(),
    serviceAccountUid: (namespace, name) => serviceAccounts.get(namespace, name)?.metadata?.uid,
    tenancy: {
      policies: () => tenancy.policies.list(),
      namespaceLabels: (namespace) => tenancy.namespaces.get("", namespace)?.metadata?.labels ?? {},
      confinement: config.subjectConfinement,
    },
  };
  const spec: ControllerSpec = {
    name: OAUTHCLIENT_CONTROLLER,
    reconciler: new OAuthClientReconciler(ctx),
    concurrency: config.concurrency,
    keys: () => oauthClients.keys(),
    watch(enqueue) {
      const maps = [ownKey, otherClaimants(lookup)];
      oauthClients.onEvent((type, object, previous) => {
        if (type === "delete") cachedReads.forgetOAuthClient(object);
        for (const map of maps) for (const key of map(type, object, previous)) enqueue(key);
      });
      const readers = secretReaders(lookup);
      secrets.onEvent((type, secret, previous) => {
        // The Secret a reconcile just wrote comes back as an event: that reconcile went on from it.
        if (type !== "delete" && ownWrites.isOwn(secret)) return;
        if (type === "delete") {
          ownWrites.forget(secret);
          cachedReads.forgetSecret(secret.metadata?.namespace ?? "", secret.metadata?.name ?? "");
        }
        for (const key of readers(type, secret, previous)) enqueue(key);
      });
      const accountUsers = serviceAccountUsers(lookup);
      serviceAccounts.onEvent((type, account, previous) => {
        for (const key of accountUsers(type, account, previous)) enqueue(key);
      });
      // A policy change re-checks every client; a namespace's new labels re-check its clients.
      tenancy.policies.onEvent(() => {
        for (const key of oauthClients.keys()) enqueue(key);
      });
      tenancy.namespaces.onEvent((type, namespace, previous) => {
        for (const ns of namespacesToRecheck(type, namespace, previous))
          for (const key of oauthClients.keys()) if (key.startsWith(`${ns}/`)) enqueue(key);
      });
    },
  };
  return { spec, oauthClients, secrets, serviceAccounts, tenancy };
}

/** Every OAuthClient in the cache claiming `clientId`. */
function claimants(oauthClients: InformerGroup<OAuthClient>, clientId: string): Claimant[] {
  return oauthClients
    .byIndex("clientId", clientId)
    .map((key) => {
      const slash = key.indexOf("/");
      return oauthClients.get(key.slice(0, slash), key.slice(slash + 1));
    })
    .filter((o): o is OAuthClient => o !== undefined)
    .map((o) => ({
      namespace: o.metadata.namespace ?? "",
      name: o.metadata.name,
      uid: o.metadata.uid ?? "",
      creationTimestamp: o.metadata.creationTimestamp ?? "",
      holds: holdsClientId(o),
    }));
}

function oauthClientSource(kube: KubeClients, namespace: string): ListWatchSource<OAuthClient> {
  return {
    watchPath: namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    list: async ({ limit, continueToken }) =>
      (namespace
        ? await kube.custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace,
            plural: PLURAL,
            limit,
            _continue: continueToken,
          })
        : await kube.custom.listCustomObjectForAllNamespaces({
            group: GROUP,
            version: VERSION,
            resourcePlural: PLURAL,
            limit,
            _continue: continueToken,
          })) as ListPage<OAuthClient>,
  };
}

/**
 * The Secrets of the watched namespaces as metadata only (PartialObjectMetadata, the
 * API server's metadata-only representation, as controller-runtime's metadata
 * informers and cert-manager's filtered Secret cache use): a cluster holds far more
 * Secrets than the operator reads, often large ones, and caching their data was the
 * operator's largest use of memory. The events wake the readers of a Secret and the
 * owner of a credentials Secret (oauthclient-watches.ts); what a reconcile decides
 * from it reads live.
 *
 * Cached are only the Secrets the operator owns (its label, or an OAuthClient owner)
 * and the ones an OAuthClient references (an adopted Secret, a JWKS, a SAML
 * certificate), each trimmed to what is read; never the rest of the cluster's. Why one
 * metadata watch of every Secret rather than a label selector: a referenced Secret is
 * the team's, and the operator neither labels nor otherwise writes it (an adopted
 * Secret is read, never changed), so only its name can find it, and a watch per name
 * does not scale to thousands of clients; the metadata of the Secrets not kept passes
 * through the watch and is dropped.
 */
function secretSource(
  kube: KubeClients,
  namespace: string,
  referenced: (secret: V1Secret) => boolean,
): ListWatchSource<V1Secret> {
  const asList = setHeaderOptions("Accept", `${PARTIAL_OBJECT_METADATA}List;g=meta.k8s.io;v=v1`);
  return {
    watchPath: namespace ? `/api/v1/namespaces/${namespace}/secrets` : "/api/v1/secrets",
    watchAccept: `${PARTIAL_OBJECT_METADATA};g=meta.k8s.io;v=v1`,
    list: async ({ limit, continueToken }) =>
      (namespace
        ? await kube.core.listNamespacedSecret({ namespace, limit, _continue: continueToken }, asList)
        : await kube.core.listSecretForAllNamespaces(
            { limit, _continue: continueToken },
            asList,
          )) as ListPage<V1Secret>,
    transform: trimSecretMetadata,
    keep: (secret) => isOperatorsSecret(secret) || referenced(secret),
  };
}

/** Labelled by the operator or owned by an OAuthClient (trimSecretMetadata keeps both facts). */
export function isOperatorsSecret(secret: V1Secret): boolean {
  return (
    secret.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY || (secret.metadata?.ownerReferences?.length ?? 0) > 0
  );
}

/**
 * The ServiceAccounts of the watched namespaces, metadata only and trimmed to name,
 * namespace and UID: workload-identity records pin each named ServiceAccount's UID.
 */
function serviceAccountSource(kube: KubeClients, namespace: string): ListWatchSource<V1ServiceAccount> {
  const asList = setHeaderOptions("Accept", `${PARTIAL_OBJECT_METADATA}List;g=meta.k8s.io;v=v1`);
  return {
    watchPath: namespace ? `/api/v1/namespaces/${namespace}/serviceaccounts` : "/api/v1/serviceaccounts",
    watchAccept: `${PARTIAL_OBJECT_METADATA};g=meta.k8s.io;v=v1`,
    list: async ({ limit, continueToken }) =>
      (namespace
        ? await kube.core.listNamespacedServiceAccount({ namespace, limit, _continue: continueToken }, asList)
        : await kube.core.listServiceAccountForAllNamespaces(
            { limit, _continue: continueToken },
            asList,
          )) as ListPage<V1ServiceAccount>,
    transform: ({ metadata }) => ({
      metadata: {
        name: metadata?.name,
        namespace: metadata?.namespace,
        uid: metadata?.uid,
        resourceVersion: metadata?.resourceVersion,
      },
    }),
  };
}

const PARTIAL_OBJECT_METADATA = "application/json;as=PartialObjectMetadata";

/**
 * Name, namespace, resourceVersion and the owner references to OAuthClients; labels and
 * annotations of the operator's own Secrets only (OwnWrites compares them), never of
 * others (kubectl's last-applied-configuration annotation holds a whole Secret).
 */
export function trimSecretMetadata(secret: V1Secret): V1Secret {
  const metadata = secret.metadata ?? {};
  const owners = metadata.ownerReferences?.filter((o) => o.kind === "OAuthClient");
  const ours = metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
  return {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      resourceVersion: metadata.resourceVersion,
      ...(owners?.length ? { ownerReferences: owners } : {}),
      ...(ours ? { labels: metadata.labels, annotations: metadata.annotations } : {}),
    },
  };
}
