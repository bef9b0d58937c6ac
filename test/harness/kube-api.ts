// Raw requests to the API server. The generated clients of @kubernetes/client-node
// serialise through their typed models, which drop fields they do not model (a CRD's
// x-kubernetes-validations, defaults, enums); this sends JSON as written and returns
// the exact status code and body.
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
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
