// The store in process memory: the standalone default, and the Redis store's local
// fallback for failure counting. Expired entries are dropped on read and by a periodic
// sweep, so memory stays bounded by what is alive.
import { type ScoredMember, type Store, ttlSeconds } from "./store.ts";

interface Entry {
  value: string | Map<string, number>;
  expiresAt: number;
}

export class MemoryStore implements Store {
  readonly available = true;
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(sweepIntervalMs = 30_000) {
    this.#sweeper = setInterval(() => this.#sweep(), sweepIntervalMs);
    this.#sweeper.unref();
  }

  async get(key: string): Promise<string | undefined> {
    const value = this.#read(key);
    return typeof value === "string" ? value : undefined;
  }

  async set(key: string, value: string, ttl: number): Promise<void> {
    this.#write(key, value, ttl);
  }

  async setIfAbsent(key: string, value: string, ttl: number): Promise<boolean> {
    // Synchronous from read to write, like take.
    if (this.#read(key) !== undefined) return false;
    this.#write(key, value, ttl);
    return true;
  }

  async exists(key: string): Promise<boolean> {
    return this.#read(key) !== undefined;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async take(key: string, spentKey: string, spentTtl: number): Promise<{ value: string; first: boolean } | undefined> {
    // No await between the read and the delete: of two takes, exactly one sees the value.
    const fresh = this.#read(key);
    if (typeof fresh === "string") {
      this.#entries.delete(key);
      this.#write(spentKey, fresh, spentTtl);
      return { value: fresh, first: true };
    }
    const spent = this.#read(spentKey);
    return typeof spent === "string" ? { value: spent, first: false } : undefined;
  }

  async increment(key: string, windowSeconds: number): Promise<{ count: number; resetInSeconds: number }> {
    return this.incrementNow(key, windowSeconds);
  }

  /** Synchronous form, for the Redis store's local fallback. */
  incrementNow(key: string, windowSeconds: number): { count: number; resetInSeconds: number } {
    const entry = this.#entries.get(key);
    const now = Date.now();
    if (entry && entry.expiresAt > now) {
      const count = Number(entry.value) + 1;
      entry.value = String(count);
      return { count, resetInSeconds: Math.ceil((entry.expiresAt - now) / 1000) };
    }
    this.#write(key, "1", windowSeconds);
    return { count: 1, resetInSeconds: windowSeconds };
  }

  async decrement(key: string): Promise<void> {
    this.decrementNow(key);
  }

  /** Synchronous form, for the Redis store's local fallback. */
  decrementNow(key: string): void {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > Date.now() && typeof entry.value === "string")
      entry.value = String(Math.max(0, Number(entry.value) - 1));
  }

  async sortedSetAdd(
    key: string,
    members: ScoredMember[],
    ttl: number,
    options: { dropAtOrBelow: number; guardKey: string },
  ): Promise<boolean> {
    const now = Date.now();
    const expiresAt = now + ttlSeconds(ttl) * 1000;
    let entry = this.#entries.get(key);
    if (!entry || entry.expiresAt <= now || typeof entry.value === "string") {
      entry = { value: new Map<string, number>(), expiresAt };
      this.#entries.set(key, entry);
    }
    const set = entry.value as Map<string, number>;
    for (const [member, score] of set) if (score <= options.dropAtOrBelow) set.delete(member);
    for (const { member, score } of members) set.set(member, score);
    entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
    return this.#read(options.guardKey) !== undefined;
  }

  async sortedSetRange(key: string, above: number): Promise<ScoredMember[]> {
    const set = this.#read(key);
    if (!(set instanceof Map)) return [];
    return [...set].filter(([, score]) => score > above).map(([member, score]) => ({ member, score }));
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
  }

  #read(key: string): Entry["value"] | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #write(key: string, value: string, ttl: number): void {
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlSeconds(ttl) * 1000 });
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
