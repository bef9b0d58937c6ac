// The registry in Redis: one hash of records, a revision counter and a pub/sub
// channel. A write is one Lua script, so the record, the revision and the notification
// move together: Redis runs a script atomically, and the PUBLISH inside it carries
// the revision the write got. (A MULTI cannot publish the revision it is about to get:
// the PUBLISH had to follow the EXEC, and a writer that died between the two left the
// change unannounced until a reader's periodic resync.)
//
// Every record is sealed with the current record key on write and opened on read
// (record-seal.ts): a record that does not verify reads as absent and is reported to
// the onRejectedRecord listeners, so Redis alone can never register a client.
//
// On a Redis Cluster every registry key and the channel share one slot (registry-keys.ts),
// and the script announces with SPUBLISH: the shard that owns the slot tells its own
// subscribers, which is where RedisConnection.subscribe listens.
import type { RedisClientType } from "redis";
import {
  type ConnectOptions,
  type RedisCommands,
  type RedisConnection,
  type RedisSettings,
  redisConnection,
  standaloneConnection,
} from "../common/redis-connection.ts";
import { parseRecord } from "./parse-record.ts";
import type { ClientRecord, RecordRejection, Registry, RegistryChange, RegistrySnapshot } from "./record.ts";
import type { RecordKeyRing } from "./record-keys.ts";
import { openRecord, sealRecord } from "./record-seal.ts";
import { type RegistryKeyNames, registryKeysFor } from "./registry-keys.ts";

export class RedisRegistry implements Registry {
  readonly #connection: RedisConnection;
  readonly #client: RedisCommands;
  readonly #names: RegistryKeyNames;
  readonly #keys: RecordKeyRing;
  readonly #rejected = new Set<(rejection: RecordRejection) => void>();

  /** `connection`: one made by redisConnection(), or a plain standalone client (the tests'). */
  constructor(connection: RedisConnection | RedisClientType, keys: RecordKeyRing) {
    this.#connection = "commands" in connection ? connection : standaloneConnection(connection);
    this.#client = this.#connection.commands;
    this.#names = registryKeysFor(this.#connection.keyPrefix);
    this.#keys = keys;
  }

  /** The key names this registry reads and writes (under its connection's key prefix). */
  get keyNames(): RegistryKeyNames {
    return this.#names;
  }

  /**
   * `failFast`: commands fail at once while the connection is down, instead of waiting
   * in node-redis's offline queue until it is back (the operator reports the outage in
   * status and retries with backoff rather than hold its workers).
   */
  static async connect(
    redis: string | RedisSettings,
    keys: RecordKeyRing,
    options: { failFast?: boolean } = {},
  ): Promise<RedisRegistry> {
    const connection = redisConnection(typeof redis === "string" ? { url: redis } : redis, {
      failFast: options.failFast ?? false,
    });
    // node-redis reconnects by itself; without a listener an error event would crash the process.
    connection.onError(() => {});
    await connection.connect();
    return new RedisRegistry(connection, keys);
  }

  /**
   * Like connect, but resolves at once: the connection is made (and remade) in the
   * background, and every command fails at once while it is down (the operator starts
   * its controllers whatever Redis does, and reports an outage per resource).
   */
  static start(
    redis: string | RedisSettings,
    keys: RecordKeyRing,
    options: { onError?: (error: Error) => void } & ConnectOptions = {},
  ): RedisRegistry {
    const connection = redisConnection(typeof redis === "string" ? { url: redis } : redis, {
      failFast: options.failFast ?? true,
      reconnectMaxMs: options.reconnectMaxMs ?? 5000,
    });
    connection.onError((error: Error) => options.onError?.(error));
    connection.connect().catch((error: Error) => options.onError?.(error));
    return new RedisRegistry(connection, keys);
  }

  /** True while commands can reach Redis. */
  get available(): boolean {
    return this.#connection.isReady;
  }

  async put(record: ClientRecord): Promise<void> {
    const key = this.#keys.current;
    if (!key) throw new Error("no registry record key loaded yet; records cannot be written unsigned");
    await this.#write(
      "put",
      record.clientId,
      sealRecord(key, this.#names.clients, record.clientId, JSON.stringify(record)),
    );
  }

  async delete(clientId: string, deletedAtSeconds: number): Promise<void> {
    await this.#write("delete", clientId, String(deletedAtSeconds));
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    return (await this.read(clientId))?.record;
  }

  async read(clientId: string): Promise<{ record: ClientRecord; currentKey: boolean } | undefined> {
    this.#requireKeys();
    const raw = await this.#client.hGet(this.#names.clients, clientId);
    return raw == null ? undefined : this.#open(clientId, raw);
  }

  onRejectedRecord(listener: (rejection: RecordRejection) => void): void {
    this.#rejected.add(listener);
  }

  async initialised(): Promise<boolean> {
    return (await this.#client.exists(this.#names.initialised)) === 1;
  }

  async markInitialised(): Promise<void> {
    await this.#write("initialised", "", new Date().toISOString());
  }

  async revision(): Promise<number> {
    return Number((await this.#client.get(this.#names.revision)) ?? 0);
  }

  async snapshot(): Promise<RegistrySnapshot> {
    this.#requireKeys();
    const [revision, clients, tombstones, initialised] = await this.#client
      .multi()
      .get(this.#names.revision)
      .hGetAll(this.#names.clients)
      .hGetAll(this.#names.tombstones)
      .exists(this.#names.initialised)
      .exec();
    const records = new Map<string, ClientRecord>();
    for (const [id, raw] of Object.entries(clients as unknown as Record<string, string>)) {
      const opened = this.#open(id, raw);
      if (opened) records.set(id, opened.record);
    }
    const dead = new Map<string, number>();
    for (const [id, at] of Object.entries(tombstones as unknown as Record<string, string>)) dead.set(id, Number(at));
    return {
      revision: Number(revision ?? 0),
      initialised: Number(initialised) === 1,
      clients: records,
      tombstones: dead,
    };
  }

  async subscribe(onChange: (change: RegistryChange) => void): Promise<() => Promise<void>> {
    const listener = (message: string) => {
      try {
        onChange(JSON.parse(message) as RegistryChange);
      } catch {
        // A malformed message is ignored; the periodic resync covers what it would have said.
      }
    };
    return this.#connection.subscribe(this.#names.changes, listener);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }

  /** Without keys nothing verifies: a reader must not take that for an empty registry. */
  #requireKeys(): void {
    if (!this.#keys.ready) throw new Error("no registry record keys loaded yet");
  }

  #open(clientId: string, raw: string): { record: ClientRecord; currentKey: boolean } | undefined {
    const opened = openRecord(this.#keys, this.#names.clients, clientId, raw);
    const record = opened.ok ? parseRecord(opened.json) : undefined;
    if (opened.ok && record?.clientId === clientId)
      return { record, currentKey: opened.kid === this.#keys.current?.kid };
    const reason = !opened.ok ? opened.reason : record ? "wrong_client" : "malformed";
    for (const listener of this.#rejected) listener({ clientId, reason });
    return undefined;
  }

  /** `value`: the sealed record for a put, the deletion time for a delete, the time for "initialised". */
  async #write(op: RegistryChange["op"], clientId: string, value: string): Promise<void> {
    await this.#client.eval(WRITE_SCRIPT, {
      keys: [this.#names.clients, this.#names.tombstones, this.#names.revision, this.#names.initialised],
      arguments: [op, clientId, value, this.#names.changes, this.#connection.publishCommand],
    });
  }
}

/**
 * KEYS: clients, tombstones, revision, initialised. ARGV: op ("put" | "delete" |
 * "initialised"), clientId, value, channel, "PUBLISH" or "SPUBLISH". Writes, counts the revision, and publishes
 * the RegistryChange JSON.
 */
const WRITE_SCRIPT = `
if ARGV[1] == "put" then
  redis.call("HSET", KEYS[1], ARGV[2], ARGV[3])
elseif ARGV[1] == "initialised" then
  redis.call("SET", KEYS[4], ARGV[3])
else
  redis.call("HDEL", KEYS[1], ARGV[2])
  redis.call("HSET", KEYS[2], ARGV[2], ARGV[3])
end
local revision = redis.call("INCR", KEYS[3])
redis.call(ARGV[5], ARGV[4], '{"op":' .. cjson.encode(ARGV[1]) .. ',"clientId":' .. cjson.encode(ARGV[2]) .. ',"revision":' .. revision .. '}')
return revision
`;
