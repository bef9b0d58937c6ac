// A de-duplicating work queue of object keys with per-key exponential backoff, in the
// manner of client-go's workqueue:
// - a key waits in the queue at most once, however often it is added;
// - a key being processed is never handed to a second worker; adding it meanwhile
//   marks it dirty, and it is queued again when the worker calls done();
// - addRateLimited() delays a key by base * 2^(failures-1), capped; forget() resets
//   the count after a success;
// - after shutDown(), get() returns undefined (waiting keys are dropped: the next
//   leader's initial list covers them) and no new key is accepted.
import { timerDelay } from "./timer-limit.ts";

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Hears what client-go's workqueue metrics count (operator/metrics.ts). */
  observer?: WorkQueueObserver;
}

/** The queue's events, as client-go's workqueue MetricsProvider sees them. */
export interface WorkQueueObserver {
  /** A key entered the queue (not a duplicate of a waiting one). */
  added(key: string): void;
  /** A worker took the key. */
  started(key: string): void;
  /** The worker finished with the key. */
  finished(key: string): void;
  /** A key was re-added with backoff after a failure. */
  retried(key: string): void;
  /** Shut down: waiting keys were dropped. */
  dropped(keys: readonly string[]): void;
}

const NO_OBSERVER: WorkQueueObserver = {
  added() {},
  started() {},
  finished() {},
  retried() {},
  dropped() {},
};

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #observer: WorkQueueObserver;
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 100;
    this.#maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
    this.#observer = options.observer ?? NO_OBSERVER;
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#observer.added(key);
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#processing.add(key);
      this.#observer.started(key);
      waiter(key);
      return;
    }
    this.#queued.add(key);
    this.#queue.push(key);
  }

  /** Adds the key after `delayMs`; an earlier pending add for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, timerDelay(delayMs));
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Re-adds a key that failed, after its backoff; returns the delay chosen. */
  addRateLimited(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    this.#observer.retried(key);
    const delay = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (failures - 1));
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** The next key to process, or undefined once the queue is shut down. Call done(key) after. */
  async get(): Promise<string | undefined> {
    if (this.#shuttingDown) return undefined;
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#queued.delete(key);
      this.#processing.add(key);
      this.#observer.started(key);
      return key;
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    if (this.#processing.delete(key)) this.#observer.finished(key);
    if (this.#dirty.delete(key)) this.add(key);
  }

  /** Nothing waiting and nothing being processed (delayed keys do not count). */
  idle(): boolean {
    return this.#queue.length === 0 && this.#processing.size === 0;
  }

  /** Keys waiting (not counting those being processed or delayed). */
  depth(): number {
    return this.#queue.length;
  }

  shutDown(): void {
    this.#shuttingDown = true;
    this.#observer.dropped(this.#queue.splice(0));
    this.#queued.clear();
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }
}
