// workload_identity client authentication: a pod's projected ServiceAccount token sent as
// an RFC 7521 §4.2 / RFC 7523 §2.2 client assertion (client_assertion_type jwt-bearer)
// with an explicit client_id, as GCP and Azure workload identity federation take a
// Kubernetes token: every OAuth library that does private_key_jwt can send a ready-made
// assertion, and curl can. The token's sub is the ServiceAccount, not the client, so the
// client_id parameter names the client (RFC 7521 §4.2 allows it).
//
// Checked, in order: signature against the cluster's service-account issuer keys, iss,
// aud (the Tollgate issuer or --service-account-audience), exp/nbf; then the
// kubernetes.io claims: the namespace must be the client's, the ServiceAccount one the
// client names (and the UID the operator saw, so a deleted or re-created ServiceAccount's
// tokens stop), and the token bound to a pod (a projected token, not a long-lived
// Secret-based one). A token is reusable until it expires (the kubelet refreshes it at 80 %
// of its lifetime) unless the client says tokenReuse: once; then its jti is spent here.
import { errors, jwtVerify } from "jose";
import type { ClientRecord } from "../../registry/record.ts";
import { ASYMMETRIC_ALGORITHMS } from "../asymmetric-algorithms.ts";
import { InvalidClient, TemporarilyUnavailable } from "../errors.ts";
import type { Ctx } from "../request-context.ts";

interface KubernetesClaims {
  namespace?: unknown;
  serviceaccount?: { name?: unknown; uid?: unknown };
  pod?: { name?: unknown; uid?: unknown };
}

const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** Whether an assertion's sub names a ServiceAccount (then client_id must name the client). */
export function isServiceAccountSubject(sub: string): boolean {
  return SERVICE_ACCOUNT_SUBJECT.test(sub);
}

export async function verifyServiceAccountToken(ctx: Ctx, record: ClientRecord, token: string): Promise<void> {
  const { settings, state, serviceAccountIssuer: issuer } = ctx.state.server;
  const identity = record.workloadIdentity;
  if (!identity)
    throw new InvalidClient("client authentication failed", "workload_identity client without workloadIdentity");
  if (!issuer)
    throw new InvalidClient(
      "this token server does not accept ServiceAccount tokens (workload identity is not configured)",
      "no --service-account-issuer",
    );
  let keys: Awaited<ReturnType<typeof issuer.keys>>;
  try {
    keys = await issuer.keys();
  } catch (error) {
    // The issuer is unreachable: not the client's fault, and not a failure to count against it.
    ctx.state.server.log.warn("service-account issuer discovery failed", { error });
    throw new TemporarilyUnavailable(
      "the cluster's service-account issuer cannot be reached; retry later",
      `service-account issuer: ${(error as Error).message}`,
    );
  }
  let claims: Awaited<ReturnType<typeof jwtVerify>>["payload"];
  try {
    ({ payload: claims } = await jwtVerify(token, keys, {
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      clockTolerance: settings.clockToleranceSeconds,
      requiredClaims: ["exp", "sub"],
    }));
  } catch (error) {
    const reason = error instanceof errors.JOSEError ? `${error.code}: ${error.message}` : String(error);
    if (!isTokenFault(error)) {
      // The keys could not be fetched: the issuer's outage, not the client's failure.
      ctx.state.server.log.warn("service-account issuer keys unavailable", { error });
      throw new TemporarilyUnavailable(
        "the cluster's service-account issuer keys cannot be fetched; retry later",
        `service-account JWKS: ${reason}`,
      );
    }
    throw new InvalidClient(`the ServiceAccount token is invalid: ${describe(error)}`, reason);
  }
  const kube = (claims["kubernetes.io"] ?? {}) as KubernetesClaims;
  const subject = SERVICE_ACCOUNT_SUBJECT.exec(claims.sub ?? "");
  const name = kube.serviceaccount?.name;
  if (!subject || typeof kube.namespace !== "string" || typeof name !== "string")
    throw new InvalidClient("the ServiceAccount token has no kubernetes.io namespace and serviceaccount claims");
  if (subject[1] !== kube.namespace || subject[2] !== name)
    throw new InvalidClient("the ServiceAccount token's sub does not match its kubernetes.io claims");
  if (kube.namespace !== record.namespace)
    throw new InvalidClient(
      `a ServiceAccount of namespace "${kube.namespace}" may not authenticate as a client of namespace "${record.namespace}"`,
    );
  const allowed = identity.serviceAccounts.find((account) => account.name === name);
  if (!allowed)
    throw new InvalidClient(
      `ServiceAccount "${name}" is not one this client's workloadIdentity names, or it no longer exists`,
    );
  if (allowed.uid !== undefined && allowed.uid !== kube.serviceaccount?.uid)
    throw new InvalidClient(
      `the token is of an earlier ServiceAccount "${name}" (deleted since; its UID differs)`,
      `uid ${String(kube.serviceaccount?.uid)} is not ${allowed.uid}`,
    );
  if (typeof kube.pod?.uid !== "string" || typeof kube.pod.name !== "string")
    throw new InvalidClient("the ServiceAccount token must be bound to a pod (a projected token)");
  if (identity.tokenReuse === "once") {
    if (typeof claims.jti !== "string" || claims.jti === "")
      throw new InvalidClient("this client takes each ServiceAccount token once: the token has no jti");
    const ttl = Math.max(1, (claims.exp as number) - Math.floor(Date.now() / 1000) + settings.clockToleranceSeconds);
    const fresh = await state.replay.useOnce("service-account-token", `${record.clientId}:${claims.jti}`, ttl);
    if (!fresh)
      throw new InvalidClient("this ServiceAccount token was already used (the client takes each token once)");
  }
}

/** Whether jose refused the token itself (else it could not fetch the keys to judge it). */
function isTokenFault(error: unknown): boolean {
  return (
    error instanceof errors.JWTClaimValidationFailed ||
    error instanceof errors.JWTExpired ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JOSENotSupported
  );
}

/** What the client is told about a token jose refused (the code, never the token). */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "it has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "its audience (aud) is not this server";
    if (error.claim === "iss") return "it is not from this cluster's service-account issuer";
    if (error.claim === "nbf") return "it is not valid yet";
    return `claim ${error.claim} is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey)
    return "its signature does not verify under the cluster's service-account keys";
  return "it is not a signed JWT";
}
