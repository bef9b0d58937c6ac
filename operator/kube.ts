// The Kubernetes API clients the operator uses, and the few helpers every caller needs
// (status codes of failed calls, patch content types, reads where 404 means "none",
// OAuthClient reads and patches). One place, so the reconcile steps read as what they
// do rather than how @kubernetes/client-node is called.
import type { KubeConfig, V1Lease, V1Secret } from "@kubernetes/client-node";
import { GROUP, type OAuthClient, PLURAL, VERSION } from "../api/v1alpha1/oauthclient.ts";
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from "../common/kubernetes-client.ts";

export interface KubeClients {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

export interface MakeClientsOptions {
  /** Called for every request sent to the API server (watches and lists included), with its HTTP method. */
  onRequest?: (method: string) => void;
}

export function makeClients(kubeConfig: KubeConfig, options: MakeClientsOptions = {}): KubeClients {
  shareConnections(kubeConfig);
  if (options.onRequest) requestObservers.get(kubeConfig)?.add(options.onRequest);
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(CoreV1Api),
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
    events: kubeConfig.makeApiClient(EventsV1Api),
  };
}

/** Who counts the requests each shared dispatcher sends (operator metrics: rest_client_requests_total). */
const requestObservers = new WeakMap<KubeConfig, Set<(method: string) => void>>();

type Dispatch = (options: { method?: string }, handler: unknown) => boolean;
interface Composable {
  compose(interceptor: (dispatch: Dispatch) => Dispatch): unknown;
}

/**
 * @kubernetes/client-node 2.0 builds a new undici Agent, so a new TLS connection, for
 * every request (KubeConfig.createDispatcher). Under load that costs a handshake per
 * call and leaves idle sockets behind until their keep-alive ends: 6 reconciles/s and
 * hundreds of MiB instead of one pooled connection set. This keeps one dispatcher per
 * cluster and user for the life of the KubeConfig (watches included), and counts what
 * goes through it (the API requests per client of the scale benchmark).
 */
export function shareConnections(kubeConfig: KubeConfig): void {
  if (requestObservers.has(kubeConfig)) return;
  const observers = new Set<(method: string) => void>();
  requestObservers.set(kubeConfig, observers);
  const target = kubeConfig as unknown as { createDispatcher(cluster: unknown, options: unknown): unknown };
  const create = target.createDispatcher.bind(kubeConfig);
  const cache = new Map<string, unknown>();
  const counted: (dispatch: Dispatch) => Dispatch = (dispatch) => (request, handler) => {
    for (const observe of observers) observe(request.method ?? "GET");
    return dispatch(request, handler);
  };
  target.createDispatcher = (cluster, options) => {
    const key = `${kubeConfig.getCurrentCluster()?.name}\0${kubeConfig.getCurrentUser()?.name}`;
    if (!cache.has(key)) {
      const dispatcher = create(cluster, options) as Composable | undefined;
      cache.set(key, dispatcher?.compose ? dispatcher.compose(counted) : dispatcher);
    }
    return cache.get(key);
  };
}

/** Options for a JSON merge patch (RFC 7386). */
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** The HTTP status of a failed API call, or undefined for a network-level failure. */
export function statusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown; statusCode?: unknown } | null)?.code;
  if (typeof code === "number") return code;
  const statusCodeValue = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCodeValue === "number" ? statusCodeValue : undefined;
}

export const isNotFound = (error: unknown): boolean => statusCode(error) === 404;
export const isConflict = (error: unknown): boolean => statusCode(error) === 409;

/** What a read returns, or undefined when there is no such object (404); other failures throw. */
async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** A Lease as the API server has it now, or undefined if there is none. */
export function readLease(kube: KubeClients, namespace: string, name: string): Promise<V1Lease | undefined> {
  return unlessNotFound(kube.coordination.readNamespacedLease({ namespace, name }));
}

/** A Secret as the API server has it now, or undefined if there is none. */
export function readSecret(kube: KubeClients, namespace: string, name: string): Promise<V1Secret | undefined> {
  return unlessNotFound(kube.core.readNamespacedSecret({ namespace, name }));
}

/** The CustomObjectsApi parameters that name one OAuthClient. */
export function oauthClientParams(namespace: string, name: string) {
  return { group: GROUP, version: VERSION, namespace, plural: PLURAL, name };
}

/** An OAuthClient as the API server has it now (not a cache's copy), or undefined if there is none. */
export function readOAuthClient(kube: KubeClients, namespace: string, name: string): Promise<OAuthClient | undefined> {
  return unlessNotFound<OAuthClient>(kube.custom.getNamespacedCustomObject(oauthClientParams(namespace, name)));
}

/**
 * Merge-patches an OAuthClient, or with `status` its status subresource, as
 * `fieldManager` when one is given; returns the resource as the API server wrote it.
 */
export async function patchOAuthClient(
  kube: KubeClients,
  namespace: string,
  name: string,
  body: unknown,
  options: { status?: boolean; fieldManager?: string } = {},
): Promise<OAuthClient> {
  const params = { ...oauthClientParams(namespace, name), fieldManager: options.fieldManager, body };
  return (await (options.status
    ? kube.custom.patchNamespacedCustomObjectStatus(params, mergePatch)
    : kube.custom.patchNamespacedCustomObject(params, mergePatch))) as OAuthClient;
}

/** "namespace/name", the key of a namespaced object everywhere in the operator. */
export function objectKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ""}/${name ?? ""}`;
}
