// Standalone mode, the embedded default: OAuthClient manifests from a folder become
// registry records through the operator's own compiler (registry/compile.ts), with a
// generated secret each, in a MemoryRegistry. Secrets named by a manifest
// (jwksSecretRef, ...) are looked up in `kind: Secret` documents of the same folder.
// Each manifest is first validated as kube-apiserver would validate it, against the
// CRD's own schema and CEL rules (api/v1alpha1/validation/), so a manifest the cluster
// refuses is refused here too, with the same causes, rather than running locally.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { API_VERSION, KIND, type OAuthClient } from "../api/v1alpha1/oauthclient.ts";
import type { Logger } from "../common/logger.ts";
import { compileRecord, defaultClientId, type SecretReference } from "../registry/compile.ts";
import { MemoryRegistry } from "../registry/memory-registry.ts";
import type { ClientRecord } from "../registry/record.ts";
import { generateSecret, hashSecret } from "../registry/secret-hash.ts";

export interface StandaloneClient {
  record: ClientRecord;
  /** The generated secret, for the person running it; undefined for clients without one. */
  secret: string | undefined;
  file: string;
}

interface SecretDocument {
  kind: "Secret";
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export async function loadManifests(
  dir: string,
  log: Logger,
): Promise<{ registry: MemoryRegistry; clients: StandaloneClient[] }> {
  const resources: { resource: OAuthClient; file: string }[] = [];
  const secrets: SecretDocument[] = [];
  for (const file of await yamlFiles(dir)) {
    const where = relative(process.cwd(), file);
    for (const doc of parseAllDocuments(await readFile(file, "utf8"))) {
      if (doc.errors.length > 0) {
        log.warn("skipping a YAML document that does not parse", { file: where, problem: doc.errors[0]?.message });
        continue;
      }
      const value = doc.toJS() as { apiVersion?: string; kind?: string } | null;
      if (value?.kind === "Secret") secrets.push(value as SecretDocument);
      else if (value?.kind === KIND && value.apiVersion === API_VERSION)
        resources.push({ resource: value as OAuthClient, file: where });
    }
  }
  const registry = new MemoryRegistry();
  const clients: StandaloneClient[] = [];
  const validator = await manifestValidator(log);
  for (const { resource, file } of resources) {
    const causes = validator?.validate(resource as unknown as Record<string, unknown>) ?? [];
    if (causes.length > 0) {
      log.error("skipping an OAuthClient the API server would refuse", {
        file,
        name: resource.metadata?.name,
        causes: causes.map((c) => `${c.field}: ${c.message}`),
      });
      continue;
    }
    const namespace = resource.metadata?.namespace ?? "default";
    const clientId = resource.spec?.clientId ?? defaultClientId(namespace, resource.metadata?.name);
    if (clients.some((c) => c.record.clientId === clientId)) {
      log.warn("skipping a second OAuthClient with the same client ID", { file, clientId });
      continue;
    }
    const confidential = (resource.spec?.clientType ?? "confidential") === "confidential";
    const method =
      resource.spec?.tokenEndpointAuthMethod ??
      (!confidential ? "none" : resource.spec?.workloadIdentity ? "workload_identity" : "client_secret_basic");
    const hasSecret = confidential && (method === "client_secret_basic" || method === "client_secret_post");
    const secret = hasSecret ? generateSecret() : undefined;
    try {
      const record = compileRecord({
        resource: { ...resource, metadata: { ...resource.metadata, namespace } },
        clientId,
        secrets: secret === undefined ? [] : [{ hash: hashSecret(secret) }],
        lookup: (reference) => lookupSecret(secrets, namespace, reference),
      });
      record.source = file;
      await registry.put(record);
      clients.push({ record, secret, file });
    } catch (error) {
      log.warn("skipping an OAuthClient that does not compile", { file, clientId, problem: (error as Error).message });
    }
  }
  return { registry, clients };
}

/** The CRD lives beside the code in a checkout; undefined (validation skipped, said in the log) where it does not. */
async function manifestValidator(
  log: Logger,
): Promise<{ validate(m: Record<string, unknown>): { field: string; message: string }[] } | undefined> {
  const crdFile = fileURLToPath(new URL("../crds/tollgate.dev_oauthclients.yaml", import.meta.url));
  let crd: string;
  try {
    crd = await readFile(crdFile, "utf8");
  } catch {
    log.warn(
      "the OAuthClient CRD is not beside the token server: manifests are compiled without the API server's validation",
      {
        expected: crdFile,
      },
    );
    return undefined;
  }
  // Loaded only here: Ajv and the CEL library stay out of a token server that serves a cluster.
  const { ManifestValidator } = await import("../api/v1alpha1/validation/validate-manifest.ts");
  return new ManifestValidator(crd);
}

function lookupSecret(secrets: SecretDocument[], namespace: string, reference: SecretReference): string | undefined {
  const found = secrets.find(
    (s) => s.metadata?.name === reference.ref.name && (s.metadata?.namespace ?? "default") === namespace,
  );
  const key = reference.ref.key ?? reference.defaultKey;
  const plain = found?.stringData?.[key];
  if (plain !== undefined) return plain;
  const encoded = found?.data?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString("utf8");
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** What the person who ran `npm start` reads: each client, its secret, and a command that gets a token. */
export function describeClients(clients: StandaloneClient[], tokenEndpoint: string): string {
  const lines = [`Tollgate token server (standalone): ${clients.length} client(s)`, ""];
  for (const { record, secret, file } of clients) {
    lines.push(`client ${record.clientId}  (${file})`);
    lines.push(`  client_id:     ${record.clientId}`);
    if (secret !== undefined) lines.push(`  client_secret: ${secret}`);
    const command = tokenCommand(record, secret, tokenEndpoint);
    lines.push(command ? `  ${command}` : `  (${whyNoCommand(record)})`);
    lines.push("");
  }
  return lines.join("\n");
}

export function tokenCommand(
  record: ClientRecord,
  secret: string | undefined,
  tokenEndpoint: string,
): string | undefined {
  if (!record.grantTypes.includes("client_credentials") || secret === undefined || record.disabled) return undefined;
  const form = `-d grant_type=client_credentials`;
  if (record.tokenEndpointAuthMethod === "client_secret_post")
    return `curl -s ${form} --data-urlencode ${shellQuote(`client_id=${record.clientId}`)} --data-urlencode ${shellQuote(`client_secret=${secret}`)} ${tokenEndpoint}`;
  if (record.tokenEndpointAuthMethod !== "client_secret_basic") return undefined;
  // RFC 6749 appendix B: id and secret are form-urlencoded before the Basic encoding.
  const id = formEncode(record.clientId);
  const encodedSecret = formEncode(secret);
  if (id === record.clientId && encodedSecret === secret)
    return `curl -s -u ${shellQuote(`${id}:${encodedSecret}`)} ${form} ${tokenEndpoint}`;
  const basic = Buffer.from(`${id}:${encodedSecret}`).toString("base64");
  return `curl -s -H ${shellQuote(`Authorization: Basic ${basic}`)} ${form} ${tokenEndpoint}`;
}

function whyNoCommand(record: ClientRecord): string {
  if (record.disabled) return "disabled";
  if (!record.grantTypes.includes("client_credentials")) return `grant types: ${record.grantTypes.join(", ")}`;
  return `authenticates with ${record.tokenEndpointAuthMethod}`;
}

function formEncode(text: string): string {
  return encodeURIComponent(text).replaceAll("%20", "+");
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
