// What every reconcile step gets: the API clients, the registry, the caches and the
// recorder. Steps take this and the resource, and return what they learned; none of
// them decides the outcome of the reconcile (oauthclient-reconciler.ts does).
import type { V1Secret } from "@kubernetes/client-node";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import type { OAuthClientPolicy } from "../../api/v1alpha1/oauthclientpolicy.ts";
import type { RegistryWriter } from "../../registry/record.ts";
import type { KubeClients } from "../kube.ts";
import type { EventRecorder } from "./events.ts";

export interface ReconcileContext {
  kube: KubeClients;
  registry: RegistryWriter;
  issuer: string;
  tokenEndpoint: string;
  /** Field manager and Event reportingController name. */
  fieldManager: string;
  /** Keys and creation order of every OAuthClient claiming a client ID, from the informer. */
  claimantsOf(clientId: string): Claimant[];
  events: EventRecorder;
  /** Called when a registry write fails (for the metric). */
  onRegistryWriteError(): void;
  /** Whether the registry's connection is up (a failed write says why by it). */
  registryAvailable(): boolean;
  /** Where the client-ID claims (Leases) live: the operator's own namespace. */
  claimNamespace: string;
  /** Announces a Secret write of the reconciler's own, before it is sent, so its watch event wakes nobody. */
  writing(secret: V1Secret): void;
  /** The API server's answer to that write (its resourceVersion identifies the event). */
  wrote(secret: V1Secret): void;
  /**
   * The OAuthClient a reconcile starts from: the informer's copy when it is at least as
   * new as the operator's own last write to it, else read live (controllers/cached-reads.ts).
   */
  currentOAuthClient(namespace: string, name: string): Promise<OAuthClient | undefined>;
  /** The API server's answer to a write of the operator's own to an OAuthClient (finalizer, status). */
  wroteOAuthClient(resource: OAuthClient): void;
  /** The client's credentials Secret is known not to exist, so reading it can be skipped. */
  credentialsSecretAbsent(resource: OAuthClient, secretName: string): boolean;
  /** Creating the credentials Secret conflicted: it exists, and is read live from now on. */
  credentialsSecretExists(namespace: string, secretName: string): void;
  now(): number;
  /**
   * The UID of a ServiceAccount, from the metadata-only ServiceAccount informer; undefined
   * when there is none (workload identity leaves it out of the record).
   */
  serviceAccountUid(namespace: string, name: string): string | undefined;
  /** What the policy decision reads (policy-check.ts), from the informers. */
  tenancy: TenancyView;
}

export interface TenancyView {
  policies(): OAuthClientPolicy[];
  /** A namespace's labels; {} for one not in the cache. */
  namespaceLabels(namespace: string): Record<string, string>;
  /** The built-in subject confinement (--subject-confinement). */
  confinement: boolean;
}

export interface Claimant {
  namespace: string;
  name: string;
  uid: string;
  creationTimestamp: string;
  /** Its ClientIdAvailable condition is True: it holds the ID now. */
  holds: boolean;
}
