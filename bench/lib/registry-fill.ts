// Writes the benchmark's clients into a Redis registry, as the operator would.
import type { ClientRecord } from "../../registry/record.ts";
import type { RedisRegistry } from "../../registry/redis-registry.ts";
import { clientCredentialsRecord } from "../../test/token-server/client-record.ts";
import { BENCH_AUDIENCE, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET } from "./bench-client.ts";

export function benchRecord(clientId: string, secret: string): ClientRecord {
  return clientCredentialsRecord(clientId, secret, {
    source: "bench",
    audiences: [BENCH_AUDIENCE],
    defaultAudience: BENCH_AUDIENCE,
  });
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
