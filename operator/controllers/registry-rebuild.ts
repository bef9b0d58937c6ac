// Keeps the registry built. Redis is output only (the cluster is the source of truth),
// so a Redis that lost its data (FLUSHALL, a restart without persistence, a new
// instance) is repaired by writing every client again. Waiting for the periodic resync
// (--resync-period, 10 minutes) would leave every token server started meanwhile
// refusing every client; instead this controller looks for the registry's
// `initialised` marker every few seconds and, when it is gone, asks the OAuthClient
// controller to reconcile every client at once (each reconcile writes the record the
// registry no longer holds), then sets the marker, which tells the token servers to
// reload and the ones started after the loss that they may serve (client-cache.ts).
// A reconciler with one key on the operator's runtime (manager.ts), so it runs on the
// leader only, and its checks and failures are counted like any reconcile's.
import type { Logger } from "../../common/logger.ts";
import type { RegistryWriter } from "../../registry/record.ts";
import type { Reconciler, Result } from "../controller/controller.ts";
import type { ControllerSpec } from "../manager.ts";

export const REGISTRY_REBUILD_CONTROLLER = "registry-rebuild";
const KEY = "/registry";

export interface RegistryRebuildOptions {
  registry: Pick<RegistryWriter, "initialised" | "markInitialised">;
  /** Queues every OAuthClient; returns how many. */
  reconcileAllClients(): number;
  /** Whether the OAuthClient controller has nothing queued or in flight. */
  clientsDrained(): boolean;
  /** How often the marker is looked for. */
  checkPeriodMs: number;
  /**
   * The marker is set at the latest this long after a rebuild began, even if some
   * client keeps failing: one broken client must not keep every new token server
   * out of service (its own reconcile retries with backoff and reports in its status).
   */
  rebuildDeadlineMs: number;
  onRebuild(): void;
  log: Logger;
  now?: () => number;
}

export class RegistryRebuildReconciler implements Reconciler {
  readonly #options: RegistryRebuildOptions;
  /** The rebuild under way: when it began and how many clients it queued. */
  #rebuild: { startedAt: number; clients: number } | undefined;

  constructor(options: RegistryRebuildOptions) {
    this.#options = options;
  }

  async reconcile(): Promise<Result> {
    const { registry, checkPeriodMs, log } = this.#options;
    const now = (this.#options.now ?? Date.now)();
    if (!this.#rebuild) {
      if (await registry.initialised()) return { requeueAfter: checkPeriodMs };
      const clients = this.#options.reconcileAllClients();
      this.#rebuild = { startedAt: now, clients };
      this.#options.onRebuild();
      log.warn("registry not initialised (Redis empty or lost its data): writing every client again", { clients });
      return { requeueAfter: Math.min(checkPeriodMs, 250) };
    }
    const elapsedMs = now - this.#rebuild.startedAt;
    const drained = this.#options.clientsDrained();
    if (!drained && elapsedMs < this.#options.rebuildDeadlineMs) return { requeueAfter: Math.min(checkPeriodMs, 250) };
    await registry.markInitialised();
    const fields = { clients: this.#rebuild.clients, elapsedMs };
    if (drained) log.info("registry rebuilt", fields);
    else log.warn("registry marked initialised with reconciles still pending or failing (see their status)", fields);
    this.#rebuild = undefined;
    return { requeueAfter: checkPeriodMs };
  }
}

export function registryRebuildController(options: RegistryRebuildOptions): ControllerSpec {
  return {
    name: REGISTRY_REBUILD_CONTROLLER,
    reconciler: new RegistryRebuildReconciler(options),
    concurrency: 1,
    keys: () => [KEY],
    watch() {
      // Nothing to watch: Redis offers no portable notice of a FLUSHALL; the check repeats by requeueAfter.
    },
  };
}
