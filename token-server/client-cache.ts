// The registry, read side: every client record in process memory, so a token request
// finds its client with a Map lookup and never waits on Redis.
//
// Kept current by (1) the registry's change notifications: a "put" re-reads that one
// record, a "delete" drops it and records a tombstone; a revision gap (a missed
// message) or a revision going backwards (Redis restarted) triggers a full resync;
// and (2) a periodic check that repairs anything else: every `resyncIntervalMs` it
// compares the registry's revision with its own and loads a full snapshot when they
// differ, and unconditionally every `fullResyncEvery` periods. (A snapshot of 10,000
// clients costs the event loop 100-200 ms of parsing; the revision check costs one GET.)
// Changes and resyncs run one at a time, in arrival order.
//
// A Redis that comes back empty (unpersisted, restarted) must not sign every client
// out until the operator repairs it: when a snapshot's revision is lower than the one
// already seen, records missing from it are kept (not tombstoned ones) for
// `resetGraceMs`, while the operator, which notices the loss within seconds, rebuilds
// the registry. A server that never saw a built registry (started after the loss)
// holds nothing to serve from: it is not ready until the operator marks the registry
// initialised again (the "initialised" change, registry-keys.ts), so the Service sends
// its traffic to servers that can answer instead of to one that refuses every client.

import type { Logger } from "../common/logger.ts";
import type { ClientRecord, RegistryChange, RegistryReader } from "../registry/record.ts";
import { type ClientEntry, clientEntry } from "./client-entry.ts";

export interface ClientLookup {
  get(clientId: string): ClientRecord | undefined;
  /** The record, after the registry changes already received are applied (ClientCache.current). */
  current(clientId: string): Promise<ClientRecord | undefined>;
  /** The record with what is derived from it (client-entry.ts), built when it loaded. */
  entry(clientId: string): ClientEntry | undefined;
  /** Epoch seconds of the client's deletion, if it was deleted. */
  tombstone(clientId: string): number | undefined;
  readonly ready: boolean;
  readonly state: RegistryState;
  readonly size: number;
}

/**
 * loading: no snapshot yet. uninitialised: Redis holds no built registry and this
 * server never saw one (not ready). lost: Redis lost the registry; this server serves
 * the records it held while the operator rebuilds it (ready). loaded: ready.
 */
export type RegistryState = "loading" | "uninitialised" | "lost" | "loaded";

export interface ClientCacheOptions {
  /** Revision check period; default 30 s. */
  resyncIntervalMs?: number;
  /** Every how many periods a full snapshot is loaded even if the revision matches; default 10. */
  fullResyncEvery?: number;
  /** How long start() waits for the first load; default 5 s. */
  initialWaitMs?: number;
  /** How long records survive a registry that lost its data; default 10 min. */
  resetGraceMs?: number;
  log: Logger;
}

export class ClientCache implements ClientLookup {
  readonly #reader: RegistryReader;
  readonly #log: Logger;
  readonly #resetGraceMs: number;
  /** Every client's entry (its record and what is derived from it), built when the record loads. */
  #clients = new Map<string, ClientEntry>();
  #tombstones = new Map<string, number>();
  /** Records kept after a registry reset, with the time they are dropped unless rewritten. */
  #retained = new Map<string, number>();
  #revision = -1;
  #ready = false;
  /** Whether the last snapshot was of a built registry, and whether any ever was. */
  #initialised = false;
  #everInitialised = false;
  #lastSyncAt: number | undefined;
  #queue: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #pendingResync: Promise<void> | undefined;

  private constructor(reader: RegistryReader, options: ClientCacheOptions) {
    this.#reader = reader;
    this.#log = options.log;
    this.#resetGraceMs = options.resetGraceMs ?? 600_000;
  }

  /**
   * Subscribes, then loads the snapshot (so no change falls between the two). Waits
   * for that first load at most `initialWaitMs` (default 5 s): with Redis not up yet
   * the server still starts, serves /healthz, and reports not ready until the load
   * completes. A failed load is retried by the resync timer.
   */
  static async start(reader: RegistryReader, options: ClientCacheOptions): Promise<ClientCache> {
    const cache = new ClientCache(reader, options);
    const firstLoad = (async () => {
      try {
        cache.#unsubscribe = await reader.subscribe((change) => cache.#enqueue(() => cache.#apply(change)));
      } catch (error) {
        options.log.error("registry subscription failed; relying on periodic resync", { error });
      }
      await cache.resync();
    })();
    const fullEvery = options.fullResyncEvery ?? 10;
    let period = 0;
    cache.#timer = setInterval(() => {
      period += 1;
      void cache.#periodic(period % fullEvery === 0);
    }, options.resyncIntervalMs ?? 30_000);
    cache.#timer.unref();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      firstLoad,
      new Promise((resolve) => (timer = setTimeout(resolve, options.initialWaitMs ?? 5000))),
    ]);
    clearTimeout(timer);
    if (cache.state === "loading") options.log.warn("registry not loaded yet; not ready until it is");
    return cache;
  }

  /** Loaded, and either the registry is built or this server holds a built one from before it was lost. */
  get ready(): boolean {
    return this.#ready && this.#everInitialised;
  }

  get state(): RegistryState {
    if (!this.#ready) return "loading";
    if (this.#initialised) return "loaded";
    return this.#everInitialised ? "lost" : "uninitialised";
  }

  /** Epoch ms when the cache last matched the registry (a full load, or a revision check that found nothing new). */
  get lastSyncAt(): number | undefined {
    return this.#lastSyncAt;
  }

  get size(): number {
    return this.#clients.size;
  }

  get revision(): number {
    return this.#revision;
  }

  get(clientId: string): ClientRecord | undefined {
    return this.#clients.get(clientId)?.record;
  }

  entry(clientId: string): ClientEntry | undefined {
    return this.#clients.get(clientId);
  }

  /**
   * The record, or if it is not in memory, the record once the registry changes already
   * received are applied (waiting at most `maxWaitMs`). A change is applied by re-reading
   * its record from Redis, so a client registered a moment ago (its change arrived, its
   * read still in flight) would otherwise be refused: the registrar answers 201 once the
   * resource is Ready, and the caller uses the credentials at once. An unknown ID costs no
   * Redis request, only the wait for changes already under way.
   */
  async current(clientId: string, maxWaitMs = 1000): Promise<ClientRecord | undefined> {
    const known = this.#clients.get(clientId)?.record;
    if (known) return known;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#queue,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, maxWaitMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    return this.#clients.get(clientId)?.record;
  }

  tombstone(clientId: string): number | undefined {
    return this.#tombstones.get(clientId);
  }

  /** Reloads the whole registry (after pending changes). */
  resync(): Promise<void> {
    // Resyncs waiting behind a slow one (Redis down) collapse into one.
    if (this.#pendingResync) return this.#pendingResync;
    this.#pendingResync = this.#enqueue(() => {
      this.#pendingResync = undefined;
      return this.#load();
    });
    return this.#pendingResync;
  }

  async #periodic(full: boolean): Promise<void> {
    if (!full && this.#ready && this.#reader.revision) {
      try {
        if ((await this.#reader.revision()) === this.#revision) {
          this.#lastSyncAt = Date.now();
          return;
        }
      } catch {
        // Falls through to a full resync, which logs if it fails too.
      }
    }
    await this.resync();
  }

  /** Resolves when every change received so far is applied (for tests and shutdown). */
  settled(): Promise<void> {
    return this.#queue;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#unsubscribe?.().catch(() => {});
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(task).catch((error: unknown) => {
      this.#log.warn("registry sync step failed; the next resync retries", { error });
    });
    return this.#queue;
  }

  async #apply(change: RegistryChange): Promise<void> {
    if (change.op === "initialised") {
      this.#log.info("registry (re)built by the operator; reloading it", { revision: change.revision });
      await this.#load();
      return;
    }
    // A revision at or below ours is either already in the loaded snapshot or comes
    // from a registry that restarted; applying it again is harmless either way (it is
    // re-read), and the next resync notices the reset.
    const known = change.revision <= this.#revision;
    if (!known && change.revision !== this.#revision + 1) {
      this.#log.info("registry revision gap; resyncing", { have: this.#revision, got: change.revision });
      await this.#load();
      return;
    }
    // The record is re-read whatever the message says, so a late message cannot undo
    // a newer state (a delete arriving after the client was re-created).
    const record = await this.#reader.get(change.clientId);
    this.#retained.delete(change.clientId);
    if (record) this.#clients.set(record.clientId, clientEntry(record));
    else {
      this.#clients.delete(change.clientId);
      // A delete message carries no time; now is at or after the real deletion. The
      // next resync replaces it with the stored value.
      if (change.op === "delete") this.#tombstones.set(change.clientId, Math.floor(Date.now() / 1000));
    }
    if (!known) this.#revision = change.revision;
  }

  async #load(): Promise<void> {
    const snapshot = await this.#reader.snapshot();
    const now = Date.now();
    const reset = this.#ready && snapshot.revision < this.#revision;
    const clients = new Map([...snapshot.clients].map(([id, record]) => [id, clientEntry(record)]));
    if (reset) {
      this.#log.warn("registry revision went backwards (Redis lost its data?); keeping missing clients for a while", {
        had: this.#revision,
        now: snapshot.revision,
        graceMs: this.#resetGraceMs,
      });
      for (const id of this.#clients.keys()) if (!clients.has(id)) this.#retained.set(id, now + this.#resetGraceMs);
    }
    const tombstones = new Map(this.#tombstones);
    for (const [id, at] of snapshot.tombstones) tombstones.set(id, at);
    for (const [id, until] of this.#retained) {
      const old = this.#clients.get(id);
      if (clients.has(id) || snapshot.tombstones.has(id) || until <= now || !old) this.#retained.delete(id);
      else clients.set(id, old);
    }
    this.#clients = clients;
    this.#tombstones = tombstones;
    this.#revision = snapshot.revision;
    if (!this.#ready) this.#log.info("registry loaded", { clients: clients.size, revision: snapshot.revision });
    if (!snapshot.initialised && (this.#initialised || !this.#ready))
      this.#log.warn("registry not initialised (Redis started empty?); waiting for the operator to rebuild it", {
        clients: clients.size,
        servingFromMemory: this.#everInitialised,
      });
    this.#ready = true;
    this.#initialised = snapshot.initialised;
    this.#everInitialised ||= snapshot.initialised;
    this.#lastSyncAt = now;
  }
}
