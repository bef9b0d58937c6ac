// Writes the benchmark's clients into a Redis registry, as the operator would.
import { type ClientRecord, REGISTRY_VERSION } from "../../registry/record.ts";
import type { RedisRegistry } from "../../registry/redis-registry.ts";
import { hashSecret } from "../../registry/secret-hash.ts";
import { BENCH_AUDIENCE, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET } from "./bench-client.ts";

export function benchRecord(clientId: string, secret: string): ClientRecord {
  return {
    registryVersion: REGISTRY_VERSION,
    clientId,
    source: "bench",
    sourceUid: "",
    generation: 1,
    displayName: clientId,
    clientType: "confidential",
    grantTypes: ["client_credentials"],
    redirectUris: [],
    scopes: ["orders.read", "orders.write"],
    defaultScopes: ["orders.read"],
    audiences: [BENCH_AUDIENCE],
    defaultAudience: BENCH_AUDIENCE,
    subject: clientId,
    tokenEndpointAuthMethod: "client_secret_basic",
    secrets: [{ hash: hashSecret(secret) }],
    accessToken: { lifetimeSeconds: 600, format: "jwt" },
    refreshToken: { lifetimeSeconds: 3600, issuance: "rotate", forAssertionGrants: false },
    skipConsent: false,
    requirePkce: true,
    disabled: false,
    updatedAt: Date.now(),
  };
}

export async function putBenchClient(registry: RedisRegistry): Promise<void> {
  await registry.put(benchRecord(BENCH_CLIENT_ID, BENCH_CLIENT_SECRET));
}

/** Adds `count` more clients (other IDs), `batch` writes in flight at a time. */
export async function putOtherClients(registry: RedisRegistry, count: number, batch = 200): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const writes: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++)
      writes.push(registry.put(benchRecord(`client-${i}.bench`, `secret-${i}-${"x".repeat(32)}`)));
    await Promise.all(writes);
  }
}
