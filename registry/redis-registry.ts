// The registry in Redis: one hash of records, a revision counter and a pub/sub
// channel. Writes are MULTI transactions so the record, the revision and the
// notification move together.
import { createClient, type RedisClientType } from "redis";
import { registryKeys } from "./keys.ts";
import type { ClientRecord, Registry, RegistryChange, RegistrySnapshot } from "./record.ts";
import { parseRecord } from "./validate-record.ts";

export class RedisRegistry implements Registry {
  readonly #client: RedisClientType;
  #subscriber: RedisClientType | undefined;

  constructor(client: RedisClientType) {
    this.#client = client;
  }

  /**
   * `failFast`: commands fail at once while the connection is down, instead of waiting
   * in node-redis's offline queue until it is back (the operator reports the outage in
   * status and retries with backoff rather than hold its workers).
   */
  static async connect(url: string, options: { failFast?: boolean } = {}): Promise<RedisRegistry> {
    const client: RedisClientType = createClient({ url, disableOfflineQueue: options.failFast ?? false });
    // node-redis reconnects by itself; without a listener an error event would crash the process.
    client.on("error", () => {});
    await client.connect();
    return new RedisRegistry(client);
  }

  async put(record: ClientRecord): Promise<void> {
    await this.#write("put", record.clientId, (tx) =>
      tx.hSet(registryKeys.clients, record.clientId, JSON.stringify(record)),
    );
  }

  async delete(clientId: string, deletedAtSeconds: number): Promise<void> {
    await this.#write("delete", clientId, (tx) =>
      tx.hDel(registryKeys.clients, clientId).hSet(registryKeys.tombstones, clientId, String(deletedAtSeconds)),
    );
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const raw = await this.#client.hGet(registryKeys.clients, clientId);
    return raw == null ? undefined : parseRecord(raw);
  }

  async revision(): Promise<number> {
    return Number((await this.#client.get(registryKeys.revision)) ?? 0);
  }

  async snapshot(): Promise<RegistrySnapshot> {
    const [revision, clients, tombstones] = await this.#client
      .multi()
      .get(registryKeys.revision)
      .hGetAll(registryKeys.clients)
      .hGetAll(registryKeys.tombstones)
      .exec();
    const records = new Map<string, ClientRecord>();
    for (const [id, raw] of Object.entries(clients as unknown as Record<string, string>)) {
      const record = parseRecord(raw);
      if (record) records.set(id, record);
    }
    const dead = new Map<string, number>();
    for (const [id, at] of Object.entries(tombstones as unknown as Record<string, string>)) dead.set(id, Number(at));
    return { revision: Number(revision ?? 0), clients: records, tombstones: dead };
  }

  async subscribe(onChange: (change: RegistryChange) => void): Promise<() => Promise<void>> {
    this.#subscriber ??= this.#client.duplicate();
    const subscriber = this.#subscriber;
    subscriber.on("error", () => {});
    if (!subscriber.isOpen) await subscriber.connect();
    const listener = (message: string) => {
      try {
        onChange(JSON.parse(message) as RegistryChange);
      } catch {
        // A malformed message is ignored; the periodic resync covers what it would have said.
      }
    };
    await subscriber.subscribe(registryKeys.changes, listener);
    return async () => {
      await subscriber.unsubscribe(registryKeys.changes, listener);
    };
  }

  async close(): Promise<void> {
    if (this.#subscriber?.isOpen) await this.#subscriber.close();
    if (this.#client.isOpen) await this.#client.close();
  }

  async #write(
    op: RegistryChange["op"],
    clientId: string,
    apply: (tx: ReturnType<RedisClientType["multi"]>) => ReturnType<RedisClientType["multi"]>,
  ): Promise<void> {
    const results = await apply(this.#client.multi()).incr(registryKeys.revision).exec();
    const revision = Number(results.at(-1));
    const change: RegistryChange = { op, clientId, revision };
    await this.#client.publish(registryKeys.changes, JSON.stringify(change));
  }
}
