// The store in Redis. Commands fail fast while the connection is down (no offline
// queue) and time out after `commandTimeoutMs`, so a request never hangs on Redis: it
// gets StateUnavailable. Counting keeps working from process memory while Redis is
// down, so brute force is still slowed per process.
//
// Keys come relative (state-keys.ts) and get the installation's key prefix here. The
// multi-key steps (take, the family's sortedSetAdd) take keys that share a hash tag, so
// they run on one node of a Redis Cluster.
import {
  type RedisCommands,
  type RedisConnection,
  type RedisSettings,
  redisConnection,
} from "../../common/redis-connection.ts";
import { MemoryStore } from "./memory-store.ts";
import { type ScoredMember, StateUnavailable, type Store, ttlSeconds } from "./store.ts";

/** KEYS[1] the value, KEYS[2] its spent copy; ARGV[1] the spent copy's TTL. One step, so two takes never both win. */
const TAKE = `
local value = redis.call('GETDEL', KEYS[1])
if value then
  redis.call('SET', KEYS[2], value, 'EX', ARGV[1])
  return {'first', value}
end
local spent = redis.call('GET', KEYS[2])
if spent then return {'again', spent} end
return false`;

/** KEYS[1] a counter; takes one back only while its window runs (DECR alone would create a key without a TTL). */
const DECREMENT = `
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0`;

export interface RedisStoreOptions extends RedisSettings {
  /** Default 1000 ms. */
  commandTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export class RedisStore implements Store {
  readonly #connection: RedisConnection;
  readonly #client: RedisCommands;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #localCounts = new MemoryStore();

  private constructor(connection: RedisConnection, timeoutMs: number) {
    this.#connection = connection;
    this.#client = connection.commands;
    this.#prefix = connection.keyPrefix;
    this.#timeoutMs = timeoutMs;
  }

  /** Resolves at once; the connection is made (and remade) in the background. */
  static start(options: RedisStoreOptions): RedisStore {
    const connection = redisConnection(options, { failFast: true });
    connection.onError((error: Error) => options.onError?.(error));
    const store = new RedisStore(connection, options.commandTimeoutMs ?? 1000);
    connection.connect().catch((error: Error) => options.onError?.(error));
    return store;
  }

  get available(): boolean {
    return this.#connection.isReady;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#run(() => this.#client.get(this.#prefix + key))) ?? undefined;
  }

  async set(key: string, value: string, ttl: number): Promise<void> {
    await this.#run(() =>
      this.#client.set(this.#prefix + key, value, { expiration: { type: "EX", value: ttlSeconds(ttl) } }),
    );
  }

  async setIfAbsent(key: string, value: string, ttl: number): Promise<boolean> {
    const reply = await this.#run(() =>
      this.#client.set(this.#prefix + key, value, {
        condition: "NX",
        expiration: { type: "EX", value: ttlSeconds(ttl) },
      }),
    );
    return reply === "OK";
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#run(() => this.#client.exists(this.#prefix + key))) === 1;
  }

  async delete(key: string): Promise<void> {
    await this.#run(() => this.#client.del(this.#prefix + key));
  }

  async take(key: string, spentKey: string, spentTtl: number): Promise<{ value: string; first: boolean } | undefined> {
    const reply = await this.#run(() =>
      this.#client.eval(TAKE, {
        keys: [this.#prefix + key, this.#prefix + spentKey],
        arguments: [String(ttlSeconds(spentTtl))],
      }),
    );
    if (!Array.isArray(reply)) return undefined;
    const [which, value] = reply as [string, string];
    return { value, first: which === "first" };
  }

  async increment(key: string, windowSeconds: number): Promise<{ count: number; resetInSeconds: number }> {
    if (!this.available) return this.#localCounts.incrementNow(key, windowSeconds);
    const counter = this.#prefix + key;
    try {
      const [count, , remainingMs] = await this.#run(() =>
        this.#client.multi().incr(counter).expire(counter, windowSeconds, "NX").pTTL(counter).exec(),
      );
      return { count: Number(count), resetInSeconds: Math.max(1, Math.ceil(Number(remainingMs) / 1000)) };
    } catch {
      return this.#localCounts.incrementNow(key, windowSeconds);
    }
  }

  async decrement(key: string): Promise<void> {
    if (!this.available) return this.#localCounts.decrementNow(key);
    try {
      await this.#run(() => this.#client.eval(DECREMENT, { keys: [this.#prefix + key] }));
    } catch {
      this.#localCounts.decrementNow(key);
    }
  }

  async sortedSetAdd(
    key: string,
    members: ScoredMember[],
    ttl: number,
    options: { dropAtOrBelow: number; guardKey: string },
  ): Promise<boolean> {
    const seconds = ttlSeconds(ttl);
    const set = this.#prefix + key;
    // GT: the set's life only grows; NX: a new key gets it as is.
    const replies = await this.#run(() =>
      this.#client
        .multi()
        .zRemRangeByScore(set, "-inf", options.dropAtOrBelow)
        .zAdd(
          set,
          members.map(({ member, score }) => ({ score, value: member })),
        )
        .expire(set, seconds, "GT")
        .expire(set, seconds, "NX")
        .exists(this.#prefix + options.guardKey)
        .exec(),
    );
    return Number(replies[4]) === 1;
  }

  async sortedSetRange(key: string, above: number): Promise<ScoredMember[]> {
    const members = await this.#run(() =>
      this.#client.zRangeByScoreWithScores(this.#prefix + key, `(${above}`, "+inf"),
    );
    return members.map(({ value, score }) => ({ member: value, score }));
  }

  async close(): Promise<void> {
    await this.#localCounts.close();
    await this.#connection.close();
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.#connection.isReady) throw new StateUnavailable("not connected to Redis");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StateUnavailable(`no answer from Redis in ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([command(), timeout]);
    } catch (error) {
      if (error instanceof StateUnavailable) throw error;
      throw new StateUnavailable((error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }
}
