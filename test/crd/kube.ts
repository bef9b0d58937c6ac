// Helpers for the CRD tests (raw requests come from the harness): they need the exact status
// code, the Status body's causes, server-side apply and the Table Accept header, which
// the generated clients hide or do not offer.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { API_VERSION, KIND, PLURAL } from "../../api/v1alpha1/oauthclient.ts";
import { type ApiResponse, api, type Json } from "../harness/kube-api.ts";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CRD_FILE = join(repoRoot, "crds", "tollgate.dev_oauthclients.yaml");
export const EXAMPLES_DIR = join(repoRoot, "examples");

/** A metav1.Status cause, as the API server reports each failed validation. */
export interface Cause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusBody {
  kind: "Status";
  code: number;
  reason: string;
  message: string;
  details?: { causes?: Cause[] };
}

export function collectionPath(namespace: string, plural = PLURAL): string {
  return `/apis/tollgate.dev/v1alpha1/namespaces/${namespace}/${plural}`;
}

export function objectPath(namespace: string, name: string): string {
  return `${collectionPath(namespace)}/${name}`;
}

export function oauthClient(name: string, spec: Json, metadata: Json = {}): Json {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name, ...metadata }, spec };
}

export async function createNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  const res = await api(kubeConfig, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  });
  if (res.status !== 201) throw new Error(`creating namespace ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Server-side apply, the way `kubectl apply --server-side` sends an object. */
export function serverSideApply(kubeConfig: KubeConfig, path: string, object: Json): Promise<ApiResponse> {
  return api(kubeConfig, "PATCH", path, object, {
    contentType: "application/apply-patch+yaml",
    query: { fieldManager: "tollgate-crd-test", force: "true", fieldValidation: "Strict" },
  });
}

/** Every failed validation the API server reported, as "field: message". */
export function causes(res: ApiResponse): string[] {
  const body = res.body as StatusBody;
  return (body?.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
}

/** Every YAML document of every file in examples/, with the file it came from. */
export function exampleDocuments(): { file: string; doc: Json }[] {
  const out: { file: string; doc: Json }[] = [];
  for (const file of readdirSync(EXAMPLES_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const parsed of parseAllDocuments(readFileSync(join(EXAMPLES_DIR, file), "utf8"))) {
      if (parsed.errors.length > 0) throw new Error(`${file}: ${parsed.errors.map((e) => e.message).join("; ")}`);
      const doc = parsed.toJS() as Json | null;
      if (doc) out.push({ file, doc });
    }
  }
  return out;
}

export function loadCrd(file = CRD_FILE): Json {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  const [first] = docs;
  if (docs.length !== 1 || !first) throw new Error(`${file} should hold exactly one document`);
  return first.toJS() as Json;
}

/** The Secrets of one example file, as the standalone token server must resolve them: stringData or base64 data. */
export function secretValueFrom(docs: Json[], name: string, key: string): string | undefined {
  const secret = docs.find((d) => d.kind === "Secret" && (d.metadata as { name?: string }).name === name);
  if (!secret) return undefined;
  const stringData = secret.stringData as Record<string, string> | undefined;
  if (stringData?.[key] !== undefined) return stringData[key];
  const data = secret.data as Record<string, string> | undefined;
  return data?.[key] === undefined ? undefined : Buffer.from(data[key], "base64").toString("utf8");
}

export { type ApiResponse, api, type Json };
