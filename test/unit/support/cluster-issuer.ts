// A stand-in for the cluster's service-account issuer in the unit tier: an RS256 key
// (kube-apiserver signs with RS256 by default), its discovery document and JWKS served
// through the token server's IssuerFetch seam (no process, no socket), and tokens shaped
// like the kubelet's projected ServiceAccount tokens. The integration tier uses the real
// kube-apiserver instead (test/workload-identity/).
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { exportJWK, SignJWT } from "jose";
import type { IssuerFetch } from "../../../token-server/workload-identity/issuer-fetch.ts";

export const CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local";

export interface ServiceAccountTokenClaims {
  namespace: string;
  serviceAccount: string;
  serviceAccountUid: string;
  /** Absent: a token not bound to a pod. */
  pod?: { name: string; uid: string };
  audience: string | string[];
  issuer?: string;
  /** Seconds from now. */
  expiresIn?: number;
  jti?: string;
  /** Sign with this key instead of the issuer's (a forged token). */
  key?: KeyObject;
}

export interface FakeClusterIssuer {
  fetch: IssuerFetch;
  /** The URLs fetched, in order. */
  fetched: string[];
  /** What discovery says the issuer is (a mismatch is refused). */
  discoveryIssuer: string;
  token(claims: ServiceAccountTokenClaims): Promise<string>;
}

export function fakeClusterIssuer(): FakeClusterIssuer {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = "cluster-key-1";
  const fetched: string[] = [];
  const issuer: FakeClusterIssuer = {
    fetched,
    discoveryIssuer: CLUSTER_ISSUER,
    async fetch(url) {
      fetched.push(url);
      if (url === `${CLUSTER_ISSUER}/.well-known/openid-configuration`)
        return Response.json({
          issuer: issuer.discoveryIssuer,
          jwks_uri: "https://10.0.0.1:6443/openid/v1/jwks",
          response_types_supported: ["id_token"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
        });
      if (url === "https://10.0.0.1:6443/openid/v1/jwks")
        return Response.json({ keys: [{ ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" }] });
      return new Response("not found", { status: 404 });
    },
    async token(claims) {
      const now = Math.floor(Date.now() / 1000);
      const kubernetes: Record<string, unknown> = {
        namespace: claims.namespace,
        serviceaccount: { name: claims.serviceAccount, uid: claims.serviceAccountUid },
      };
      if (claims.pod) kubernetes.pod = claims.pod;
      return new SignJWT({ "kubernetes.io": kubernetes, ...(claims.jti ? { jti: claims.jti } : {}) })
        .setProtectedHeader({ alg: "RS256", kid })
        .setIssuer(claims.issuer ?? CLUSTER_ISSUER)
        .setSubject(`system:serviceaccount:${claims.namespace}:${claims.serviceAccount}`)
        .setAudience(claims.audience)
        .setIssuedAt(now - 5)
        .setNotBefore(now - 5)
        .setExpirationTime(now + (claims.expiresIn ?? 3600))
        .sign(claims.key ?? privateKey);
    },
  };
  return issuer;
}
