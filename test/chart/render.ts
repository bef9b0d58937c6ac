// Renders the chart with the helm binary the control-plane build made, and parses
// the output into objects so tests can assert on them.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { controlPlaneBinDir } from "../harness/control-plane.ts";

const run = promisify(execFile);
export const CHART_DIR = new URL("../../charts/tollgate", import.meta.url).pathname;
/** Helm 4 by default; `3` for the Helm 3 binary the chart must work with too. */
export const helmBinary = (major: 3 | 4 = 4): string => join(controlPlaneBinDir(), major === 3 ? "helm3" : "helm");
export const HELM_MAJORS = [3, 4] as const;

/**
 * One of each convention the chart offers, set at once: linted with both Helms and
 * dry-run against the API server with strict field validation (install.test.ts).
 */
export const EVERY_CONVENTION: string[] = [
  "global.imageRegistry=mirror.example",
  "global.imagePullSecrets={shared-pull}",
  "imagePullSecrets={own-pull}",
  `image.digest=sha256:${"ab".repeat(32)}`,
  "commonLabels.team=identity",
  "operator.serviceAccount.annotations.example\\.com/role=tollgate",
  "extraObjects[0].apiVersion=v1",
  "extraObjects[0].kind=ConfigMap",
  "extraObjects[0].metadata.name=private-ca",
  "extraObjects[0].data.ca\\.crt=PEM",
  ...["operator", "tokenServer", "redis.bundled"].flatMap((key) => [
    `${key}.podLabels.owner=platform`,
    `${key}.podAnnotations.note=x`,
    `${key}.priorityClassName=system-cluster-critical`,
    `${key}.nodeSelector.kubernetes\\.io/os=linux`,
    `${key}.tolerations[0].key=dedicated`,
    `${key}.tolerations[0].operator=Exists`,
    `${key}.topologySpreadConstraints[0].maxSkew=1`,
    `${key}.topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone`,
    `${key}.topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway`,
    `${key}.extraEnv[0].name=HTTPS_PROXY`,
    `${key}.extraEnv[0].value=http://proxy.example:3128`,
    `${key}.extraArgs={--log-level,debug}`,
    `${key}.extraVolumes[0].name=private-ca`,
    `${key}.extraVolumes[0].configMap.name=private-ca`,
    `${key}.extraVolumeMounts[0].name=private-ca`,
    `${key}.extraVolumeMounts[0].mountPath=/etc/private-ca`,
  ]),
];

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `--set` style values as a flat list: ["redis.mode=external", ...]. */
export async function renderChart(
  set: string[] = [],
  namespace = "tollgate-system",
  major: 3 | 4 = 4,
): Promise<KubeObject[]> {
  const args = ["template", "tollgate", CHART_DIR, "--namespace", namespace, "--kube-version", "1.36.3"];
  for (const value of set) args.push("--set", value);
  const { stdout } = await run(helmBinary(major), args, { maxBuffer: 16 << 20 });
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** Runs helm and returns its combined output and exit code (for failure cases). */
export async function helm(args: string[], major: 3 | 4 = 4): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(helmBinary(major), args, { maxBuffer: 16 << 20 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout}${e.stderr}` };
  }
}

export function find(objects: KubeObject[], kind: string, name?: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

type Container = {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
  [field: string]: unknown;
};
type PodSpec = {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: { name: string }[];
  [field: string]: unknown;
};

export function podSpec(object: KubeObject): PodSpec {
  const spec = object.spec as { template?: { spec: PodSpec } } & PodSpec;
  return spec.template?.spec ?? spec;
}

/** Labels and annotations of a workload's pods (a Pod's own metadata for a bare Pod). */
export function podMetadata(object: KubeObject): KubeObject["metadata"] {
  const spec = object.spec as { template?: { metadata: KubeObject["metadata"] } };
  return spec.template?.metadata ?? object.metadata;
}

/** Every object that runs pods: Deployments, StatefulSets and bare Pods (the `helm test` hook). */
export function podOwners(objects: KubeObject[]): KubeObject[] {
  return objects.filter((o) => ["Deployment", "StatefulSet", "Pod"].includes(o.kind));
}

export function envOf(object: KubeObject, container = 0): Map<string, { value?: string; valueFrom?: unknown }> {
  const env = podSpec(object).containers[container]?.env ?? [];
  return new Map(env.map((e) => [e.name, e]));
}
