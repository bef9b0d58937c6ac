// Shared pieces of the tenancy tests: the chart's admission policies and aggregated roles,
// rendered by helm and applied as they ship, and requests made as a namespace's editor.
import { stringify } from "yaml";
import type { OAuthClientPolicySpec } from "../../api/v1alpha1/oauthclientpolicy.ts";
import { type KubeObject, renderChart } from "../chart/render.ts";
import type { ControlPlane } from "../harness/control-plane.ts";
import { type ApiResponse, api, type Json } from "../harness/kube-api.ts";
import { waitFor } from "../harness/processes.ts";

/** Applies what the chart ships for tenancy (its ValidatingAdmissionPolicies, bindings and ClusterRoles). */
export async function applyChartTenancy(cp: ControlPlane, set: string[] = []): Promise<KubeObject[]> {
  const objects = (await renderChart(set)).filter((o) =>
    ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ClusterRole"].includes(o.kind),
  );
  await cp.kubectl(["apply", "-f", "-"], objects.map((o) => `---\n${stringify(o)}`).join(""));
  return objects;
}

export async function createNamespace(cp: ControlPlane, name: string, labels: Record<string, string> = {}) {
  const res = await api(cp.kubeConfig, "POST", "/api/v1/namespaces", { metadata: { name, labels } });
  if (res.status !== 201) throw new Error(`namespace ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function createPolicy(cp: ControlPlane, name: string, spec: OAuthClientPolicySpec): Promise<void> {
  const res = await api(cp.kubeConfig, "POST", "/apis/tollgate.dev/v1alpha1/oauthclientpolicies", {
    apiVersion: "tollgate.dev/v1alpha1",
    kind: "OAuthClientPolicy",
    metadata: { name },
    spec,
  });
  if (res.status !== 201) throw new Error(`policy ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Creates (or with dryRun, only admits) an OAuthClient as the admin. */
export function postClient(
  cp: ControlPlane,
  namespace: string,
  name: string,
  spec: Json,
  dryRun = false,
): Promise<ApiResponse<Json>> {
  return api(
    cp.kubeConfig,
    "POST",
    `/apis/tollgate.dev/v1alpha1/namespaces/${namespace}/oauthclients`,
    { apiVersion: "tollgate.dev/v1alpha1", kind: "OAuthClient", metadata: { name, namespace }, spec },
    dryRun ? { query: { dryRun: "All" } } : {},
  );
}

/**
 * The policy messages of an admission refusal (403), one per cause:
 * `ValidatingAdmissionPolicy 'P' with binding 'B' denied request: M`.
 */
export function admissionMessages(res: ApiResponse<Json>): string[] {
  const details = res.body.details as { causes?: { message?: string }[] } | undefined;
  return (details?.causes ?? []).map((c) => String(c.message ?? "").replace(/^.*? denied request: /s, ""));
}

/** Waits until a client `probe` is refused by a policy: the API server's param cache has caught up. */
export async function waitForAdmission(cp: ControlPlane, namespace: string, spec: Json): Promise<void> {
  await waitFor(
    `the admission policies to refuse a probe client in ${namespace}`,
    async () => (await postClient(cp, namespace, "probe", spec, true)).status === 403 || undefined,
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}
