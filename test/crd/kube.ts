// Raw requests to the test API server, for the CRD tests: they need the exact status
// code, the Status body's causes, server-side apply and the Table Accept header, which
// the generated clients hide or do not offer.
import { readdirSync, readFileSync } from "node:fs";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { API_VERSION, KIND, PLURAL } from "../../api/v1alpha1/oauthclient.ts";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CRD_FILE = join(repoRoot, "crds", "tollgate.dev_oauthclients.yaml");
export const EXAMPLES_DIR = join(repoRoot, "examples");

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

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

export type Json = Record<string, unknown>;

export interface RequestOptionsExtra {
  contentType?: string;
  accept?: string;
  query?: Record<string, string>;
}

export async function api<T = Json>(
  kubeConfig: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  extra: RequestOptionsExtra = {},
): Promise<ApiResponse<T>> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error("kubeconfig has no current cluster");
  const url = new URL(path, server);
  for (const [key, value] of Object.entries(extra.query ?? {})) url.searchParams.set(key, value);
  const options: RequestOptions = {
    method,
    headers: {
      accept: extra.accept ?? "application/json",
      ...(body === undefined ? {} : { "content-type": extra.contentType ?? "application/json" }),
    },
  };
  await kubeConfig.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
        } catch {
          reject(new Error(`${method} ${path}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 500)}`));
        }
      });
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.end(payload);
  });
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

/**
 * Replaces the installed OAuthClient CRD with crds/ byte for byte (as JSON) and waits
 * until the API server enforces it. Needed because the harness installs CRDs through
 * client-node's typed ApiextensionsV1Api, whose serializer reads fields by their
 * TypeScript names and so silently drops `x-kubernetes-validations`, `default`, `enum`
 * and `x-kubernetes-list-*` from a plain parsed-YAML object. Harmless once the harness
 * sends the object as written: the replace is then a no-op.
 */
export async function installCrdAsWritten(kubeConfig: KubeConfig): Promise<void> {
  const crd = loadCrd();
  const name = (crd.metadata as { name: string }).name;
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
  const current = await api<{ metadata: { resourceVersion: string } }>(kubeConfig, "GET", path);
  const body = {
    ...crd,
    metadata: { ...(crd.metadata as Json), resourceVersion: current.body.metadata.resourceVersion },
  };
  const replaced = await api(kubeConfig, "PUT", path, body);
  if (replaced.status !== 200)
    throw new Error(`replacing CRD ${name}: ${replaced.status} ${JSON.stringify(replaced.body)}`);
  // The new schema takes effect asynchronously; defaulting comes from the same structural
  // schema as the CEL rules, so a defaulted field shows the new handler is serving.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const probe = await api<{ spec?: Json }>(
      kubeConfig,
      "POST",
      collectionPath("default"),
      oauthClient("crd-probe", { grantTypes: ["client_credentials"] }),
      { query: { dryRun: "All" } },
    );
    if (probe.status === 201 && probe.body.spec?.clientType === "confidential") return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not enforced after 60s: ${JSON.stringify(probe.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export function loadCrd(): Json {
  const docs = parseAllDocuments(readFileSync(CRD_FILE, "utf8"));
  const [first] = docs;
  if (docs.length !== 1 || !first) throw new Error(`${CRD_FILE} should hold exactly one document`);
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
