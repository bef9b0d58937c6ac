// The client's Secret: client ID, client secret, token endpoint and issuer under the
// configured keys, the template's labels and annotations, and a controller owner
// reference to the OAuthClient (garbage-collected with it). Created when absent,
// replaced (with its resourceVersion, so a concurrent edit conflicts and is retried)
// when any of that differs; labels and annotations a person added are kept.
// An adopted Secret is never written.
import type { V1OwnerReference, V1Secret } from "@kubernetes/client-node";
import { API_VERSION, KIND, type OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { isConflict } from "../kube.ts";
import type { ResolvedCredentials } from "./credentials-policy.ts";
import { SecretAnnotation, secretKeys } from "./credentials-secret.ts";
import type { ReconcileContext } from "./reconcile-context.ts";
import { stableJson } from "./status.ts";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "tollgate-operator";
const CLIENT_LABEL = "tollgate.dev/oauthclient";

export function ownerReference(resource: OAuthClient): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: resource.metadata.name,
    uid: resource.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

export type SecretWrite = "created" | "updated" | "unchanged";

export async function writeSecret(
  ctx: ReconcileContext,
  resource: OAuthClient,
  clientId: string,
  credentials: ResolvedCredentials,
): Promise<SecretWrite> {
  if (credentials.adopted) return "unchanged";
  const namespace = resource.metadata.namespace ?? "default";
  const desired = desiredSecret(resource, clientId, credentials, ctx);
  const existing = credentials.existing;
  if (!existing) {
    try {
      ctx.writing(desired);
      ctx.wrote(
        await ctx.kube.core.createNamespacedSecret({ namespace, body: desired, fieldManager: ctx.fieldManager }),
      );
    } catch (error) {
      // Someone created it between our read (or the cache's word) and this write: reconcile
      // again from the new state, read live.
      if (isConflict(error)) {
        ctx.credentialsSecretExists(namespace, credentials.secretName);
        throw new Error(`Secret ${namespace}/${credentials.secretName} appeared concurrently`);
      }
      throw error;
    }
    return "created";
  }
  if (sameSecret(desired, existing)) return "unchanged";
  desired.metadata = { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion };
  ctx.writing(desired);
  ctx.wrote(
    await ctx.kube.core.replaceNamespacedSecret({
      namespace,
      name: credentials.secretName,
      body: desired,
      fieldManager: ctx.fieldManager,
    }),
  );
  return "updated";
}

/** The Secret as it should be: the existing one's extra labels, annotations and owners kept. */
export function desiredSecret(
  resource: OAuthClient,
  clientId: string,
  credentials: ResolvedCredentials,
  endpoints: { issuer: string; tokenEndpoint: string },
): V1Secret {
  const namespace = resource.metadata.namespace ?? "default";
  const keys = secretKeys(resource);
  const template = resource.spec.credentials?.secretTemplate ?? {};
  const data: Record<string, string> = {
    [keys.clientId]: clientId,
    [keys.tokenEndpoint]: endpoints.tokenEndpoint,
    [keys.issuer]: endpoints.issuer,
  };
  if (credentials.clientSecret !== undefined) data[keys.clientSecret] = credentials.clientSecret;
  const stateAnnotations: Record<string, string> = {
    [SecretAnnotation.rotatedAt]: new Date(credentials.rotatedAt).toISOString(),
  };
  if (credentials.currentHash) stateAnnotations[SecretAnnotation.currentHash] = credentials.currentHash;
  if (credentials.previous?.expiresAt) {
    stateAnnotations[SecretAnnotation.previousHash] = credentials.previous.hash;
    stateAnnotations[SecretAnnotation.previousExpiresAt] = new Date(credentials.previous.expiresAt).toISOString();
  }
  if (credentials.rotationRequestHandled !== undefined)
    stateAnnotations[SecretAnnotation.rotationRequestHandled] = credentials.rotationRequestHandled;
  if (credentials.tokensRevokedBefore !== undefined)
    stateAnnotations[SecretAnnotation.tokensRevokedBefore] = new Date(
      credentials.tokensRevokedBefore * 1000,
    ).toISOString();
  if (credentials.revocation)
    stateAnnotations[SecretAnnotation.revokeTokensIssuedBefore] = new Date(
      credentials.revocation.appliedBefore * 1000,
    ).toISOString();

  const existing = credentials.existing;
  const keptAnnotations = Object.fromEntries(
    Object.entries(existing?.metadata?.annotations ?? {}).filter(
      ([k]) => !(Object.values(SecretAnnotation) as string[]).includes(k),
    ),
  );
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name: credentials.secretName,
      namespace,
      labels: {
        ...existing?.metadata?.labels,
        ...template.labels,
        [MANAGED_BY_LABEL]: MANAGED_BY,
        [CLIENT_LABEL]: resource.metadata.name,
      },
      annotations: { ...keptAnnotations, ...template.annotations, ...stateAnnotations },
      ownerReferences: [
        ...(existing?.metadata?.ownerReferences ?? []).filter((o) => o.uid !== resource.metadata.uid && !o.controller),
        ownerReference(resource),
      ],
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  };
}

/** Whether the existing Secret already is the desired one (then it is not written). */
export function sameSecret(desired: V1Secret, existing: V1Secret): boolean {
  return (
    stableJson(desired.data) === stableJson(existing.data ?? {}) &&
    stableJson(desired.metadata?.labels) === stableJson(existing.metadata?.labels ?? {}) &&
    stableJson(desired.metadata?.annotations) === stableJson(existing.metadata?.annotations ?? {}) &&
    stableJson(desired.metadata?.ownerReferences) === stableJson(existing.metadata?.ownerReferences ?? []) &&
    existing.type === "Opaque"
  );
}
