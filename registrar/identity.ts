// Who a Kubernetes bearer token belongs to, asked of the API server (TokenReview), and the
// ServiceAccount namespace a username names. The registrar never decides identity itself.
import { invalidToken, RegistrationError } from "./errors.ts";
import type { Identity, KubeRequester } from "./kube-requests.ts";

interface TokenReviewStatus {
  authenticated?: boolean;
  error?: string;
  user?: { username?: string; uid?: string; groups?: string[] };
}

export async function reviewToken(kube: KubeRequester, token: string): Promise<Identity> {
  const res = await kube.request<{ status?: TokenReviewStatus }>(
    "POST",
    "/apis/authentication.k8s.io/v1/tokenreviews",
    {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } },
    },
  );
  if (res.status !== 201 && res.status !== 200)
    throw new RegistrationError(502, "server_error", `the API server refused the TokenReview (${res.status})`);
  const status = res.body?.status;
  if (!status?.authenticated || !status.user?.username)
    throw invalidToken("the Kubernetes API server does not accept this bearer token");
  return {
    username: status.user.username,
    ...(status.user.uid ? { uid: status.user.uid } : {}),
    groups: status.user.groups ?? [],
  };
}

const SERVICE_ACCOUNT = /^system:serviceaccount:([a-z0-9-]+):[^:]+$/;

/** The namespace of a ServiceAccount user (`system:serviceaccount:NS:NAME`), else undefined. */
export function serviceAccountNamespace(username: string): string | undefined {
  return SERVICE_ACCOUNT.exec(username)?.[1];
}
