// A registry record as the operator would compile it for a plain client_credentials
// client with one known secret. The token-server tests (fixtures.ts clientRecord) and
// the benchmark (bench/lib/registry-fill.ts) both start from it.
import { type ClientRecord, REGISTRY_VERSION } from "../../registry/record.ts";
import { hashSecret } from "../../registry/secret-hash.ts";

export function clientCredentialsRecord(
  clientId: string,
  secret: string,
  overrides: Partial<ClientRecord> = {},
): ClientRecord {
  return {
    registryVersion: REGISTRY_VERSION,
    clientId,
    source: "test",
    namespace: "test",
    sourceUid: "",
    generation: 1,
    displayName: clientId,
    clientType: "confidential",
    grantTypes: ["client_credentials"],
    redirectUris: [],
    scopes: ["orders.read", "orders.write"],
    defaultScopes: ["orders.read"],
    audiences: ["https://orders.example"],
    defaultAudience: "https://orders.example",
    subject: clientId,
    tokenEndpointAuthMethod: "client_secret_basic",
    secrets: [{ hash: hashSecret(secret) }],
    accessToken: { lifetimeSeconds: 600, format: "jwt" },
    refreshToken: { lifetimeSeconds: 3600, issuance: "rotate", forAssertionGrants: false },
    skipConsent: false,
    requirePkce: true,
    disabled: false,
    updatedAt: Date.now(),
    ...overrides,
  };
}
