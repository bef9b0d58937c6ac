// An informer: a local cache of one kind of object, kept current by list + watch,
// with handlers called on every change. Written on the client library's `Watch`
// because its ListWatch stops for good on the first network error (an API server
// restart), never asks for bookmarks, and relists on every quiet 30 s.
//
// The contract:
// - `hasSynced()` turns true after the first full list; handlers have then seen every
//   object once as "add".
// - The watch resumes from the last resourceVersion it saw (events and bookmarks both
//   advance it). A `410 Gone` (the version was compacted away) triggers a relist, and
//   the relist reports objects that vanished meanwhile as "delete" and changed ones as
//   "update", so a handler never misses the end state.
// - A watch that delivers nothing, not even a bookmark, for `stallTimeoutMs` is
//   abandoned and reopened from the last resourceVersion: a half-open TCP connection
//   cannot freeze the cache.
// - Network errors and 5xx are retried with exponential backoff, forever, until stop().
import type { KubeConfig } from "@kubernetes/client-node";
import { Watch } from "../../common/kubernetes-client.ts";
import { errorText, type Logger } from "../../common/logger.ts";
import { InterruptibleSleep } from "./interruptible-sleep.ts";

export interface KubeObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
  };
}

export interface ListPage<T> {
  items: T[] | null;
  metadata?: { resourceVersion?: string; _continue?: string; continue?: string };
}

/** Where the objects come from: a paged list, and the URL path to watch. */
export interface ListWatchSource<T> {
  list(page: { limit: number; continueToken?: string }): Promise<ListPage<T>>;
  /** e.g. /api/v1/secrets or /apis/tollgate.dev/v1alpha1/namespaces/ns/oauthclients */
  watchPath: string;
  /** Narrows the watch (and should narrow the list the same way), e.g. metadata.name=x. */
  fieldSelector?: string;
  /**
   * The watch's Accept header, e.g. PartialObjectMetadata's to receive metadata only
   * (the list must ask for the same representation).
   */
  watchAccept?: string;
  /** Trims each object before it is cached (listed or watched): keep only what is read. */
  transform?(object: T): T;
  /**
   * Whether to cache an object at all (after transform). One not kept costs no memory,
   * and a watch still delivers its events (add, update, delete) to the handlers; what is
   * lost is a relist's view of it: a change or deletion while no watch was open is not
   * reported for an object not kept (the periodic resync covers that). An object kept
   * before and not kept now leaves the cache with no event (it still exists).
   */
  keep?(object: T): boolean;
}

export type InformerEventType = "add" | "update" | "delete";
export type InformerHandler<T> = (type: InformerEventType, object: T, previous?: T) => void;
/** Computes the index values of an object (e.g. the Secrets it references). */
export type IndexFunction<T> = (object: T) => string[];

export interface InformerOptions {
  /** Abandon a watch silent for this long (bookmarks count as activity). Default 90 s. */
  stallTimeoutMs?: number;
  /** Server-side watch timeout; the server closes the watch and we resume. Default 300-600 s. */
  watchTimeoutSeconds?: number;
  /** Backoff after failures, doubled per consecutive failure. Defaults 200 ms to 10 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  pageSize?: number;
}

const GONE = 410;

export class Informer<T extends KubeObject> {
  readonly name: string;
  readonly #source: ListWatchSource<T>;
  readonly #watch: Watch;
  readonly #log: Logger;
  readonly #options: Required<InformerOptions>;
  readonly #objects = new Map<string, T>();
  readonly #handlers: InformerHandler<T>[] = [];
  readonly #indexers = new Map<string, IndexFunction<T>>();
  readonly #indexes = new Map<string, Map<string, Set<string>>>();
  #resourceVersion = "";
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #stopped = false;
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  readonly #pause = new InterruptibleSleep();
  /** Counters for tests and metrics: how the informer recovered. */
  readonly stats = { lists: 0, watches: 0, gone: 0, stalls: 0, errors: 0 };
  #lastActivity = Date.now();

  constructor(
    name: string,
    kubeConfig: KubeConfig,
    source: ListWatchSource<T>,
    log: Logger,
    options: InformerOptions = {},
  ) {
    this.name = name;
    this.#source = source;
    this.#log = log.child({ informer: name });
    this.#options = {
      stallTimeoutMs: options.stallTimeoutMs ?? 90_000,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 0,
      minBackoffMs: options.minBackoffMs ?? 200,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      pageSize: options.pageSize ?? 500,
    };
    this.#watch = new Watch(source.watchAccept ? withAccept(kubeConfig, source.watchAccept) : kubeConfig);
    // Watch's inactivity timer is our stall detector; the field is not in its typings.
    (this.#watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = this.#options.stallTimeoutMs;
  }

  /** Handlers run synchronously in event order; keep them cheap (enqueue keys). */
  onEvent(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
  }

  /** Adds an index; must be called before start(). */
  addIndex(name: string, fn: IndexFunction<T>): void {
    this.#indexers.set(name, fn);
    this.#indexes.set(name, new Map());
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#pause.wake();
    await this.#running;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Milliseconds since the last list, watch connection or watch event (for health checks). */
  idleMs(): number {
    return Date.now() - this.#lastActivity;
  }

  async waitForSync(): Promise<void> {
    if (this.#synced) return;
    await new Promise<void>((resolve) => this.#syncWaiters.push(resolve));
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#objects.get(`${namespace ?? ""}/${name}`);
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  /** Keys ("namespace/name") of the objects whose index `name` holds `value`. */
  byIndex(name: string, value: string): string[] {
    return [...(this.#indexes.get(name)?.get(value) ?? [])];
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        if (!this.#resourceVersion) await this.#relist();
        const progressed = await this.#watchOnce();
        failures = progressed ? 0 : failures + 1;
        if (failures > 0) await this.#pause.sleep(this.#backoff(failures));
      } catch (error) {
        if (this.#stopped) break;
        if (isGone(error)) {
          this.stats.gone += 1;
          this.#log.info("resourceVersion expired (410 Gone); relisting", { resourceVersion: this.#resourceVersion });
          this.#resourceVersion = "";
          continue;
        }
        if (isStall(error)) {
          this.stats.stalls += 1;
          this.#log.warn("watch stalled; reopening from the last resourceVersion", {
            resourceVersion: this.#resourceVersion,
            stallTimeoutMs: this.#options.stallTimeoutMs,
          });
          continue;
        }
        failures += 1;
        this.stats.errors += 1;
        const delay = this.#backoff(failures);
        this.#log.warn("list/watch failed; retrying", { error: errorText(error), retryInMs: delay });
        await this.#pause.sleep(delay);
      }
    }
  }

  #backoff(failures: number): number {
    const { minBackoffMs, maxBackoffMs } = this.#options;
    const base = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.max(0, failures - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  async #relist(): Promise<void> {
    this.stats.lists += 1;
    const fresh = new Map<string, T>();
    let continueToken: string | undefined;
    let resourceVersion = "";
    do {
      const page = await this.#source.list({ limit: this.#options.pageSize, continueToken });
      // A metadata-only list of nothing has "items": null.
      for (const item of page.items ?? []) {
        const object = this.#source.transform?.(item) ?? item;
        if (this.#keeps(object)) fresh.set(keyOf(object), object);
        else if (this.#objects.has(keyOf(object))) this.#forget(keyOf(object));
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?._continue ?? page.metadata?.continue ?? undefined;
    } while (continueToken);
    for (const [key, old] of [...this.#objects]) if (!fresh.has(key)) this.#remove(key, old);
    for (const item of fresh.values()) this.#upsert(item);
    this.#resourceVersion = resourceVersion;
    this.#lastActivity = Date.now();
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
      this.#log.info("synced", { objects: this.#objects.size, resourceVersion });
    }
  }

  /** One watch request; resolves false if it ended at once without news (counts as a failure), rejects on error. */
  #watchOnce(): Promise<boolean> {
    this.stats.watches += 1;
    const timeoutSeconds = this.#options.watchTimeoutSeconds || 300 + Math.floor(Math.random() * 300);
    const startedAt = Date.now();
    let progressed = false;
    let expired = false;
    return new Promise<boolean>((resolve, reject) => {
      const onEvent = (phase: string, object: T & { code?: number }) => {
        this.#lastActivity = Date.now();
        switch (phase) {
          case "ADDED":
          case "MODIFIED":
            this.#upsert(object, phase === "ADDED" ? "add" : "update");
            break;
          case "DELETED":
            this.#remove(keyOf(object), this.#source.transform?.(object) ?? object, true);
            break;
          case "BOOKMARK":
            break;
          case "ERROR":
            if (object.code === GONE) expired = true;
            return;
          default:
            return;
        }
        progressed = true;
        const rv = object.metadata?.resourceVersion;
        if (rv) this.#resourceVersion = rv;
      };
      let ended = false;
      const done = (error: unknown) => {
        ended = true;
        this.#abort = undefined;
        if (expired) reject(Object.assign(new Error("watch expired"), { statusCode: GONE }));
        else if (error && !this.#stopped) reject(error);
        else resolve(progressed || Date.now() - startedAt > 1000);
      };
      this.#watch
        .watch(
          this.#source.watchPath,
          {
            resourceVersion: this.#resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            ...(this.#source.fieldSelector ? { fieldSelector: this.#source.fieldSelector } : {}),
          },
          onEvent,
          done,
        )
        .then((controller) => {
          if (ended) return;
          // Connected (the server answered 200): the API server is reachable, so not idle.
          this.#lastActivity = Date.now();
          this.#abort = controller;
          if (this.#stopped) controller.abort();
        }, reject);
    });
  }

  /** `watched`: the watch's event type, for an object the cache may not keep. */
  #upsert(listedOrWatched: T, watched?: "add" | "update"): void {
    const object = this.#source.transform?.(listedOrWatched) ?? listedOrWatched;
    // managedFields are often the larger half of an object and nothing here reads them
    // (client-go's informers drop them with a transform for the same reason).
    if (object.metadata && "managedFields" in object.metadata)
      delete (object.metadata as { managedFields?: unknown }).managedFields;
    const key = keyOf(object);
    const previous = this.#objects.get(key);
    if (watched && !this.#keeps(object)) {
      if (previous) this.#forget(key);
      this.#emit(previous ? "update" : watched, object, previous);
      return;
    }
    if (previous && previous.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
    this.#objects.set(key, object);
    this.#reindex(key, previous, object);
    this.#emit(previous ? "update" : "add", object, previous);
  }

  #remove(key: string, object: T, watched = false): void {
    const previous = this.#objects.get(key);
    if (!previous) {
      // An object the cache did not keep still ends with an event.
      if (watched && this.#source.keep) this.#emit("delete", object);
      return;
    }
    this.#objects.delete(key);
    this.#reindex(key, previous, undefined);
    this.#emit("delete", previous ?? object);
  }

  #keeps(object: T): boolean {
    return this.#source.keep?.(object) ?? true;
  }

  /** Drops an object the cache no longer keeps, with no event: it still exists. */
  #forget(key: string): void {
    const previous = this.#objects.get(key);
    this.#objects.delete(key);
    this.#reindex(key, previous, undefined);
  }

  #reindex(key: string, previous: T | undefined, next: T | undefined): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const value of previous ? fn(previous) : []) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
      for (const value of next ? fn(next) : []) {
        const keys = index.get(value) ?? new Set<string>();
        index.set(value, keys);
        keys.add(key);
      }
    }
  }

  #emit(type: InformerEventType, object: T, previous?: T): void {
    for (const handler of this.#handlers) {
      try {
        handler(type, object, previous);
      } catch (error) {
        this.#log.error("event handler failed", { error: errorText(error) });
      }
    }
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

function isGone(error: unknown): boolean {
  const e = error as { statusCode?: unknown; code?: unknown } | null;
  return e?.statusCode === GONE || e?.code === GONE;
}

function isStall(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "TimeoutError";
}

/**
 * The same cluster and credentials, with every request's Accept header set: the only
 * way to give @kubernetes/client-node's Watch a representation (it sends the headers
 * KubeConfig's authentication leaves on the request).
 */
function withAccept(kubeConfig: KubeConfig, accept: string): KubeConfig {
  const derived = Object.create(kubeConfig) as KubeConfig;
  derived.applySecurityAuthentication = async (context) => {
    await kubeConfig.applySecurityAuthentication(context);
    context.setHeaderParam("Accept", accept);
  };
  return derived;
}
