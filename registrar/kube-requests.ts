// Requests to the API server, as the registrar or as another user (impersonation).
//
// Why not the generated clients of @kubernetes/client-node: its KubeConfig carries only
// `as` (Impersonate-User; 2.0.1 has no as-groups, as-uid or as-user-extra), and its
// fetch transport cannot send a header twice, while Kubernetes reads one group per
// `Impersonate-Group` line (a comma-joined value would be one group named "a, b").
// So this sends node:https requests itself: the library's KubeConfig still supplies the
// server, CA and the registrar's own credentials (applyToHTTPSOptions), and this adds
// the Impersonate-* headers, a header line per group.
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** A Kubernetes user as authentication saw it (TokenReview): what the registrar impersonates. */
export interface Identity {
  username: string;
  uid?: string;
  groups: string[];
}

export interface KubeResponse<T> {
  status: number;
  body: T | undefined;
}

export interface KubeRequestOptions {
  body?: unknown;
  /** Act as this user: the API server authorizes and admits the request as them. */
  as?: Identity;
  contentType?: string;
  query?: Record<string, string>;
}

/** A Kubernetes Status body: what a refusal says. */
export interface KubeStatus {
  kind?: string;
  message?: string;
  reason?: string;
}

export class KubeRequester {
  readonly server: string;
  private readonly kubeConfig: KubeConfig;
  private readonly timeoutMs: number;

  constructor(kubeConfig: KubeConfig, timeoutMs = 15_000) {
    this.kubeConfig = kubeConfig;
    this.timeoutMs = timeoutMs;
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error("the kubeconfig has no current cluster");
    this.server = server;
  }

  async request<T>(method: string, path: string, options: KubeRequestOptions = {}): Promise<KubeResponse<T>> {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string | string[]> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    const requestOptions: RequestOptions = { method, headers };
    await this.kubeConfig.applyToHTTPSOptions(requestOptions);
    // Set after the KubeConfig's options, so a kubeconfig `as:` cannot override the caller.
    Object.assign(requestOptions.headers as Record<string, string | string[]>, impersonationHeaders(options.as));
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, requestOptions, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          let body: T | undefined;
          try {
            body = text ? (JSON.parse(text) as T) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on("error", reject);
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.end(payload);
    });
  }
}

function impersonationHeaders(as: Identity | undefined): Record<string, string | string[]> {
  if (!as) return {};
  return {
    "Impersonate-User": as.username,
    ...(as.uid ? { "Impersonate-Uid": as.uid } : {}),
    ...(as.groups.length > 0 ? { "Impersonate-Group": as.groups } : {}),
  };
}
