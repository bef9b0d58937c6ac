// One token request: the pod's projected ServiceAccount token (re-read every time: the
// kubelet replaces it before it expires) sent as the client assertion of a
// client_credentials request (docs/workload-identity.md says why this wire format).
import { readFile } from "node:fs/promises";

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface ExchangeOptions {
  tokenEndpoint: string;
  clientId: string;
  serviceAccountTokenFile: string;
  scope?: string;
}

export interface AccessToken {
  accessToken: string;
  expiresIn: number;
}

/** An answer of the token endpoint that is not a token: the OAuth error and its description. */
export class ExchangeError extends Error {}

export async function exchange(options: ExchangeOptions): Promise<AccessToken> {
  const assertion = (await readFile(options.serviceAccountTokenFile, "utf8")).trim();
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: options.clientId,
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
  });
  if (options.scope) body.set("scope", options.scope);
  const response = await fetch(options.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Reported below with the status.
  }
  if (!response.ok || typeof json.access_token !== "string") {
    const reason =
      typeof json.error === "string" ? `${json.error}: ${json.error_description ?? ""}` : text.slice(0, 200);
    throw new ExchangeError(`token endpoint answered ${response.status} ${reason}`.trim());
  }
  const expiresIn = typeof json.expires_in === "number" ? json.expires_in : 3600;
  return { accessToken: json.access_token, expiresIn };
}
