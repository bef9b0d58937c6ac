// Client authentication, one step of every endpoint that takes client credentials:
// find the mechanism, find the client in the in-memory registry (a client assertion is a
// ServiceAccount token when the client is a workload_identity one), refuse a client
// locked out for this source, require the registered method, check the credentials, then refuse a
// disabled client (after authentication, so "disabled" is told only to the client).
//
// A disabled client gets `invalid_client`, not `unauthorized_client`: the latter says
// "authenticated, but not for this grant", while a disabled client may not use the
// token, introspection or revocation endpoints at all.
import type { TokenEndpointAuthMethod } from "../../api/v1alpha1/oauthclient.ts";
import type { ClientRecord } from "../../registry/record.ts";
import { hashSecret, verifySecret } from "../../registry/secret-hash.ts";
import { InvalidClient } from "../errors.ts";
import type { Ctx } from "../request-context.ts";
import { sourceAddress } from "../source-address.ts";
import { checkSecret } from "./check-secret.ts";
import { type Credentials, extractCredentials } from "./extract-credentials.ts";
import { assertedClientId, verifyAssertion } from "./verify-assertion.ts";
import { isServiceAccountSubject, verifyServiceAccountToken } from "./verify-service-account-token.ts";

const UNKNOWN_CLIENT_HASH = hashSecret("no client has this secret");

export async function authenticateClient(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  const credentials = extractCredentials(ctx);
  const clientId = credentials.clientId ?? assertedClientId((credentials as { assertion: string }).assertion);
  const { clients, failures } = ctx.state.server;
  const record = clients.get(clientId) ?? (await clients.current(clientId));
  // A ServiceAccount token names the ServiceAccount in sub, so client_id names the client.
  const method =
    credentials.method === "private_key_jwt" && record?.tokenEndpointAuthMethod === "workload_identity"
      ? "workload_identity"
      : credentials.method;
  ctx.state.authMethod = method;
  if (credentials.method === "private_key_jwt" && method === "private_key_jwt") {
    const asserted = assertedClientId(credentials.assertion);
    if (credentials.clientId === undefined && isServiceAccountSubject(asserted))
      throw new InvalidClient("client_id is required with a ServiceAccount token: it names the client");
    if (credentials.clientId !== undefined && asserted !== credentials.clientId)
      throw new InvalidClient("client_id does not match the client_assertion subject");
  }
  if (!record) {
    // The same hash work as for a known client, so response time does not tell which IDs exist.
    if ("secret" in credentials) verifySecret(credentials.secret, UNKNOWN_CLIENT_HASH);
    throw new InvalidClient("client authentication failed", `unknown client "${clientId.slice(0, 200)}"`);
  }
  const source = sourceAddress(ctx);
  failures.check(record.clientId, source);
  if (record.tokenEndpointAuthMethod !== method)
    throw new InvalidClient(`this client must authenticate with ${record.tokenEndpointAuthMethod}, not ${method}`);
  try {
    await verify(ctx, record, credentials, method);
  } catch (error) {
    if (error instanceof InvalidClient) await failures.recordFailure(record.clientId, source);
    throw error;
  }
  if (record.disabled) throw new InvalidClient("the client is disabled");
  ctx.state.client = record;
  await next();
}

async function verify(
  ctx: Ctx,
  record: ClientRecord,
  credentials: Credentials,
  method: TokenEndpointAuthMethod,
): Promise<void> {
  if (method === "workload_identity" && credentials.method === "private_key_jwt") {
    await verifyServiceAccountToken(ctx, record, credentials.assertion);
    return;
  }
  switch (credentials.method) {
    case "client_secret_basic":
    case "client_secret_post":
      if (!checkSecret(record, credentials.secret))
        throw new InvalidClient("client authentication failed", "wrong secret");
      return;
    case "private_key_jwt":
      await verifyAssertion(ctx, record, credentials.assertion);
      return;
    case "none":
      // A public client proves nothing; what it may do is limited by the grant (PKCE).
      if (record.clientType !== "public") throw new InvalidClient("a confidential client must authenticate");
      return;
  }
}
