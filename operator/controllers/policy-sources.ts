// What the policy decision reads besides the OAuthClient itself: every
// OAuthClientPolicy (cluster-scoped) and every Namespace's labels, each from an
// informer, and which OAuthClients a change of either asks to re-check. A policy change
// re-checks every client (policies are few and change rarely); a namespace's change
// re-checks its clients only when its labels changed.
import type { KubeConfig, V1Namespace } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../api/v1alpha1/oauthclient.ts";
import { type OAuthClientPolicy, POLICY_PLURAL } from "../../api/v1alpha1/oauthclientpolicy.ts";
import type { Logger } from "../../common/logger.ts";
import { Informer, type InformerEventType, type ListPage } from "../controller/informer.ts";
import { InformerGroup } from "../controller/informer-group.ts";
import type { KubeClients } from "../kube.ts";

export interface PolicySources {
  policies: InformerGroup<OAuthClientPolicy>;
  namespaces: InformerGroup<V1Namespace>;
}

export function policySources(
  kube: KubeClients,
  kubeConfig: KubeConfig,
  log: Logger,
  options: { stallTimeoutMs: number },
): PolicySources {
  const policies = new Informer<OAuthClientPolicy>(
    POLICY_PLURAL,
    kubeConfig,
    {
      watchPath: `/apis/${GROUP}/${VERSION}/${POLICY_PLURAL}`,
      list: async ({ limit, continueToken }) =>
        (await kube.custom.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: POLICY_PLURAL,
          limit,
          _continue: continueToken,
        })) as ListPage<OAuthClientPolicy>,
    },
    log,
    options,
  );
  const namespaces = new Informer<V1Namespace>(
    "namespaces",
    kubeConfig,
    {
      watchPath: "/api/v1/namespaces",
      list: async ({ limit, continueToken }) =>
        (await kube.core.listNamespace({ limit, _continue: continueToken })) as ListPage<V1Namespace>,
    },
    log,
    options,
  );
  return {
    policies: new InformerGroup(new Map([["", policies]])),
    namespaces: new InformerGroup(new Map([["", namespaces]])),
  };
}

/** The namespaces whose clients a Namespace event asks to re-check: its own, when its labels changed. */
export function namespacesToRecheck(type: InformerEventType, namespace: V1Namespace, previous?: V1Namespace): string[] {
  const name = namespace.metadata?.name ?? "";
  if (type === "update" && sameLabels(namespace, previous)) return [];
  return [name];
}

function sameLabels(a: V1Namespace, b: V1Namespace | undefined): boolean {
  const la = a.metadata?.labels ?? {};
  const lb = b?.metadata?.labels ?? {};
  const keys = Object.keys(la);
  return keys.length === Object.keys(lb).length && keys.every((k) => la[k] === lb[k]);
}
