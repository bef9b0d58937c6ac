// The operator's runtime, shaped like controller-runtime's manager: it owns the
// informers (named sources), leader election, the health and metrics server, and the
// controllers. Each controller is a name, a reconciler, its watches (which turn
// informer events into keys) and the keys it starts with; per leadership term the
// manager waits for every cache to sync, then gives each controller a work queue and
// workers. Nothing here knows what an OAuthClient or a signing key is.
import type { Logger } from "../common/logger.ts";
import type { Tracing } from "../common/tracing.ts";
import type { OperatorConfig } from "./config.ts";
import { Controller, type ControllerObserver, type Reconciler } from "./controller/controller.ts";
import { WorkQueue } from "./controller/work-queue.ts";
import { startHealthServer } from "./health-server.ts";
import type { KubeClients } from "./kube.ts";
import { LeaderElector } from "./leader-election.ts";
import type { OperatorMetrics } from "./metrics.ts";

export interface ControllerSpec {
  name: string;
  reconciler: Reconciler;
  concurrency: number;
  /** Subscribes the controller's watches; `enqueue` adds a key to its queue while it runs. */
  watch(enqueue: (key: string) => void): void;
  /** The keys to reconcile when a term starts and on every resync. */
  keys(): string[];
}

/** A cache the manager waits for and reports on: an informer or a group of them. */
export interface Source {
  members: readonly { readonly name: string; hasSynced(): boolean; idleMs(): number }[];
  start(): void;
  waitForSync(): Promise<void>;
  stop(): Promise<void>;
}

export interface ManagerOptions {
  kube: KubeClients;
  config: OperatorConfig;
  metrics: OperatorMetrics;
  log: Logger;
  tracing?: Tracing;
}

/** A controller as the manager runs it: its queue and workers exist during a leadership term only. */
interface Entry {
  spec: ControllerSpec;
  observer: ControllerObserver;
  queue?: WorkQueue;
  running?: Controller;
}

export class Manager {
  readonly #options: ManagerOptions;
  readonly #sources: Source[] = [];
  readonly #gates: (() => Promise<void>)[] = [];
  readonly #controllers: Entry[] = [];
  #term = 0;
  #elector: LeaderElector | undefined;
  #timers: NodeJS.Timeout[] = [];
  #health: Awaited<ReturnType<typeof startHealthServer>> | undefined;

  constructor(options: ManagerOptions) {
    this.#options = options;
  }

  addSource(source: Source): void {
    this.#sources.push(source);
  }

  /** Something awaited (after the caches sync) before the controllers start each term; it must bound its own wait. */
  addStartGate(gate: () => Promise<void>): void {
    this.#gates.push(gate);
  }

  addController(spec: ControllerSpec, observer: ControllerObserver): void {
    const entry: Entry = { spec, observer };
    this.#controllers.push(entry);
    spec.watch((key) => entry.queue?.add(key));
  }

  /** Queues every key of a controller now (a resync of that controller alone); returns how many. */
  reconcileAll(name: string): number {
    const entry = this.#controllers.find((e) => e.spec.name === name);
    const keys = entry?.spec.keys() ?? [];
    for (const key of keys) entry?.queue?.add(key);
    return keys.length;
  }

  /** Whether a controller has nothing queued or in flight in this term. */
  drained(name: string): boolean {
    return this.#controllers.find((e) => e.spec.name === name)?.queue?.idle() ?? false;
  }

  get port(): number {
    return this.#health?.port ?? 0;
  }

  isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader() : true;
  }

  async synced(): Promise<void> {
    await Promise.all(this.#sources.map((s) => s.waitForSync()));
  }

  async start(): Promise<void> {
    const { config, kube, log, metrics } = this.#options;
    for (const source of this.#sources) source.start();
    const resync = setInterval(() => {
      for (const entry of this.#controllers) for (const key of entry.spec.keys()) entry.queue?.add(key);
    }, config.resyncPeriodMs);
    resync.unref();
    this.#timers.push(resync);

    this.#elector = config.leaderElection
      ? new LeaderElector(
          kube,
          {
            namespace: config.leaseNamespace,
            name: config.leaseName,
            identity: config.identity,
            leaseDurationMs: config.leaseDurationMs,
            renewDeadlineMs: config.renewDeadlineMs,
            retryPeriodMs: config.retryPeriodMs,
          },
          { onStartedLeading: () => this.#startLeading(), onStoppedLeading: () => this.#stopLeading() },
          log,
        )
      : undefined;
    if (this.#elector) this.#elector.start();
    else this.#startLeading();

    const informers = this.#sources.flatMap((s) => s.members);
    this.#health = await startHealthServer(config.metricsHost, config.metricsPort, {
      metrics: metrics.registry,
      healthy: () => {
        // A watch never idles past twice the stall timeout unless its loop is wedged.
        const wedged = informers.find((i) => i.hasSynced() && i.idleMs() > 2 * config.watchStallTimeoutMs + 60_000);
        return wedged
          ? `informer ${wedged.name} has not heard from the API server in ${wedged.idleMs()} ms`
          : undefined;
      },
      ready: () => {
        const pending = informers.filter((i) => !i.hasSynced()).map((i) => i.name);
        return pending.length ? `caches not synced: ${pending.join(", ")}` : undefined;
      },
    });
  }

  /** Stops reconciling (in-flight reconciles finish) and releases the Lease. */
  async stopControllers(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    if (this.#elector) await this.#elector.stop();
    else await this.#stopLeading();
  }

  async stopSources(): Promise<void> {
    await Promise.all(this.#sources.map((s) => s.stop()));
  }

  async closeHealth(): Promise<void> {
    const health = this.#health;
    if (!health) return;
    await new Promise<void>((resolve) => health.server.close(() => resolve()));
    health.server.closeAllConnections();
  }

  // Each leadership term starts the controllers once the caches are synced. The wait
  // happens outside the elector's loop (which must keep renewing meanwhile), and a term
  // that ended before the caches synced starts nothing.
  #startLeading(): void {
    const myTerm = ++this.#term;
    const { metrics, log } = this.#options;
    for (const entry of this.#controllers) metrics.leader.set({ name: entry.spec.name }, 1);
    void (async () => {
      await this.synced();
      for (const gate of this.#gates) await gate();
      if (myTerm !== this.#term) return;
      for (const entry of this.#controllers) {
        const queue = new WorkQueue({ observer: metrics.queueObserver(entry.spec.name) });
        entry.queue = queue;
        entry.running = new Controller({
          name: entry.spec.name,
          queue,
          reconciler: entry.spec.reconciler,
          concurrency: entry.spec.concurrency,
          log,
          observer: entry.observer,
          ...(this.#options.tracing ? { tracing: this.#options.tracing } : {}),
        });
        for (const key of entry.spec.keys()) queue.add(key);
        entry.running.start();
      }
    })();
  }

  async #stopLeading(): Promise<void> {
    this.#term += 1;
    const running = this.#controllers.map((entry) => {
      this.#options.metrics.leader.set({ name: entry.spec.name }, 0);
      const controller = entry.running;
      entry.queue = undefined;
      entry.running = undefined;
      return controller?.stop();
    });
    await Promise.all(running);
  }
}
