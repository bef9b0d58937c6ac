// The OAuthClient and Secret requests the registrar makes, each as the identity the
// caller proved: RBAC and admission decide. Only the reads that find a resource and wait
// for it to be Ready run as the registrar itself (get on oauthclients, nothing else).
import { GROUP, type OAuthClient, PLURAL, VERSION } from "../api/v1alpha1/oauthclient.ts";
import { insufficientScope, invalidClientMetadata, RegistrationError } from "./errors.ts";
import type { Identity, KubeRequester, KubeResponse, KubeStatus } from "./kube-requests.ts";

const collection = (namespace: string) => `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`;
const item = (namespace: string, name: string) => `${collection(namespace)}/${encodeURIComponent(name)}`;

/** Whether `as` may do `verb` on `resource` in `namespace` (SelfSubjectAccessReview, asked as them). */
export async function mayDo(
  kube: KubeRequester,
  as: Identity,
  attributes: { verb: string; group: string; resource: string; namespace: string },
): Promise<boolean> {
  const res = await kube.request<{ status?: { allowed?: boolean } }>(
    "POST",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    {
      as,
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: attributes },
      },
    },
  );
  if (res.status !== 201) throw apiFailure("SelfSubjectAccessReview", res);
  return res.body?.status?.allowed === true;
}

export async function createClient(kube: KubeRequester, as: Identity, resource: unknown, namespace: string) {
  const res = await kube.request<OAuthClient & KubeStatus>("POST", collection(namespace), { as, body: resource });
  if (res.status === 201) return res.body as OAuthClient;
  throw refusal("create", res);
}

/** A merge patch as `as`; with the resource's resourceVersion in `patch`, a concurrent change fails it (409). */
export async function patchClient(
  kube: KubeRequester,
  as: Identity,
  namespace: string,
  name: string,
  patch: unknown,
): Promise<OAuthClient | "conflict"> {
  const res = await kube.request<OAuthClient & KubeStatus>("PATCH", item(namespace, name), {
    as,
    body: patch,
    contentType: "application/merge-patch+json",
  });
  if (res.status === 200) return res.body as OAuthClient;
  if (res.status === 409) return "conflict";
  throw refusal("update", res);
}

export async function deleteClient(kube: KubeRequester, as: Identity, namespace: string, name: string) {
  const res = await kube.request<KubeStatus>("DELETE", item(namespace, name), { as });
  if (res.status === 200 || res.status === 202 || res.status === 404) return;
  throw refusal("delete", res);
}

/** The resource, read as the registrar; undefined when it is gone or being deleted. */
export async function readClient(kube: KubeRequester, namespace: string, name: string) {
  const res = await kube.request<OAuthClient>("GET", item(namespace, name));
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw apiFailure("read the OAuthClient", res);
  const resource = res.body as OAuthClient;
  return resource.metadata.deletionTimestamp ? undefined : resource;
}

export async function readSecretValue(
  kube: KubeRequester,
  as: Identity,
  namespace: string,
  name: string,
  key: string,
): Promise<string | undefined> {
  const res = await kube.request<{ data?: Record<string, string> } & KubeStatus>(
    "GET",
    `/api/v1/namespaces/${namespace}/secrets/${encodeURIComponent(name)}`,
    { as },
  );
  if (res.status === 403) throw insufficient(res);
  if (res.status !== 200) throw apiFailure("read the credentials Secret", res);
  const raw = res.body?.data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, "base64").toString("utf8");
}

/**
 * What a refused write means for the caller. RBAC was checked before the first write
 * (SelfSubjectAccessReview), so a 403 or 422 here is admission: the schema, the CEL rules
 * or the tenancy ValidatingAdmissionPolicies, whose message goes back as written.
 */
function refusal(what: string, res: KubeResponse<KubeStatus>): RegistrationError {
  const message = res.body?.message ?? `status ${res.status}`;
  if (res.status === 403 && /\bcannot (create|patch|update|delete) resource\b/.test(message)) return insufficient(res);
  if (res.status === 403 || res.status === 422 || res.status === 400) return invalidClientMetadata(message);
  return apiFailure(what, res);
}

function insufficient(res: KubeResponse<KubeStatus>): RegistrationError {
  return insufficientScope(res.body?.message ?? "forbidden");
}

function apiFailure(what: string, res: KubeResponse<unknown>): RegistrationError {
  return new RegistrationError(502, "server_error", `the API server failed to ${what} (${res.status})`);
}
