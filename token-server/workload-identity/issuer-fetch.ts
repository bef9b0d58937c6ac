// How the token server reaches the cluster's service-account issuer: HTTPS with the
// cluster's CA (--service-account-ca-file) and, where the API server wants it, a bearer
// token (--service-account-token-file, re-read per request since the kubelet rotates it).
// The only requests the token server makes to Kubernetes, and to two public, non-resource
// paths: /.well-known/openid-configuration and the JWKS it names (/openid/v1/jwks). It
// never reads a Kubernetes resource.
import { readFileSync } from "node:fs";
import { request } from "node:https";

/** The fetch jose's createRemoteJWKSet and the discovery read call. */
export type IssuerFetch = (url: string, init?: { signal?: AbortSignal | null }) => Promise<Response>;

const MAX_BODY_BYTES = 1 << 20;

export function issuerFetch(options: { caFile?: string; tokenFile?: string }): IssuerFetch {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== "https:") {
        reject(new Error(`the service-account issuer must be reached over https, not ${target.protocol}`));
        return;
      }
      // kube-apiserver answers the JWKS only as application/jwk-set+json (406 to application/json alone).
      const headers: Record<string, string> = { accept: "application/json, application/jwk-set+json" };
      if (options.tokenFile) headers.authorization = `Bearer ${readFileSync(options.tokenFile, "utf8").trim()}`;
      const req = request(
        target,
        {
          method: "GET",
          headers,
          ...(options.caFile ? { ca: readFileSync(options.caFile) } : {}),
          ...(init?.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) req.destroy(new Error("service-account issuer response too large"));
            else chunks.push(chunk);
          });
          res.on("end", () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 500,
                headers: { "content-type": String(res.headers["content-type"] ?? "application/json") },
              }),
            ),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end();
    });
}
