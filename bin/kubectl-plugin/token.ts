// `kubectl tollgate token <client>`: the client's credentials from its Secret, exchanged
// for a token with the client_credentials grant, the way the workload would (a quick
// test, like `cmctl`). --token-url replaces the Secret's in-cluster URL, e.g. through
// `kubectl port-forward`.

import { readSecret } from "../../operator/kube.ts";
import { credentialsSecretName, secretKeys, secretValue } from "../../operator/reconcile/credentials-secret.ts";
import { type PluginContext, PluginError, readClient } from "./context.ts";

export async function token(context: PluginContext, name: string): Promise<void> {
  const client = await readClient(context, name);
  if (!client.spec.grantTypes.includes("client_credentials"))
    throw new PluginError(`oauthclient "${name}" does not have the client_credentials grant`);
  if (client.spec.workloadIdentity)
    throw new PluginError(
      `oauthclient "${name}" has no secret: its pods authenticate with their ServiceAccount token ` +
        `(workloadIdentity: ${client.spec.workloadIdentity.serviceAccounts.join(", ")}); ` +
        "run `tollgate fetch --once` in such a pod (docs/workload-identity.md)",
    );
  const secretName = client.status?.secretName ?? credentialsSecretName(client);
  const secret = await readSecret(context.kube, context.namespace, secretName);
  if (!secret) throw new PluginError(`secret "${secretName}" not found: is oauthclient "${name}" Ready?`);
  const keys = secretKeys(client);
  const [id, clientSecret, endpoint] = [keys.clientId, keys.clientSecret, keys.tokenEndpoint].map((key) =>
    secretValue(secret, key),
  );
  const url = context.flags["token-url"] ?? endpoint;
  if (!id || !clientSecret || !url)
    throw new PluginError(
      `secret "${secretName}" lacks ${keys.clientId}, ${keys.clientSecret} or ${keys.tokenEndpoint}`,
    );
  const body = new URLSearchParams({ grant_type: "client_credentials" });
  if (context.flags.scope) body.set("scope", context.flags.scope);
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (client.spec.tokenEndpointAuthMethod === "client_secret_post") {
    body.set("client_id", id);
    body.set("client_secret", clientSecret);
  } else {
    // RFC 6749 section 2.3.1: each part form-encoded before Basic.
    const basic = `${encodeURIComponent(id)}:${encodeURIComponent(clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
  }
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? String(error);
    throw new PluginError(
      `${url}: ${cause} (from outside the cluster, port-forward the token server and pass --token-url)`,
    );
  }
  const text = await response.text();
  if (!response.ok) throw new PluginError(`${url} answered ${response.status}: ${text}`);
  const answer = JSON.parse(text) as { access_token: string };
  context.print(context.flags.output === "json" ? JSON.stringify(answer, null, 2) : answer.access_token);
}
