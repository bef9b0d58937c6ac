// The controller loop: keys from informers go into a work queue, a bounded number of
// workers hand them to a Reconciler, and the Reconciler's answer decides what happens
// to the key next. This file is the one place that turns a reconcile's outcome into a
// requeue, a log line and a metric.

import { errorText, type Logger } from "../../common/logger.ts";
import { runInSpan, type SpanHandle, type Tracing } from "../../common/tracing.ts";
import type { WorkQueue } from "./work-queue.ts";

/**
 * What a reconcile is asked to do: converge the object with this namespace and name.
 * It carries no event type and no old object, on purpose: a reconcile reads the world
 * as it is now and must give the same result whichever change woke it, or none.
 */
export interface Request {
  namespace: string;
  name: string;
}

/**
 * The outcome of a successful reconcile.
 * - `{}` (or undefined): converged; nothing to do until something changes (or resync).
 * - `{ requeueAfter: ms }`: converged for now, but look again after `ms` (a scheduled
 *   rotation, a grace window ending, a Secret we are waiting for). Not an error: the
 *   backoff is reset.
 */
export interface Result {
  requeueAfter?: number;
}

/**
 * A Reconciler converges one object. It must be idempotent and safe to run any number
 * of times. Throwing (or rejecting) means "not converged, try again": the key is
 * requeued with per-key exponential backoff and the error is logged and counted.
 * A condition that retrying cannot fix (bad input) is not an error: report it in the
 * object's status and return normally, so the key is not retried in a loop.
 */
export interface Reconciler {
  reconcile(request: Request, log: Logger): Promise<Result | undefined>;
}

export type ReconcileOutcome = "success" | "requeue_after" | "error";

export interface ControllerObserver {
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
}

export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  reconciler: Reconciler;
  concurrency: number;
  log: Logger;
  observer?: ControllerObserver;
  /** A span per reconcile, current while it runs (common/tracing.ts); default off. */
  tracing?: Tracing;
}

export class Controller {
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  #workers: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#log = options.log.child({ controller: options.name });
  }

  /** Starts the workers; returns at once. */
  start(): void {
    for (let i = 0; i < this.#options.concurrency; i++) this.#workers.push(this.#work());
  }

  /** Stops taking keys and waits for the reconciles in flight to finish. */
  async stop(): Promise<void> {
    this.#options.queue.shutDown();
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  async #work(): Promise<void> {
    const { queue } = this.#options;
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await this.#reconcileKey(key);
      } finally {
        queue.done(key);
      }
    }
  }

  #startSpan(request: Request): SpanHandle | undefined {
    return this.#options.tracing?.start(`reconcile ${this.#options.name}`, {
      attributes: {
        "tollgate.controller": this.#options.name,
        "k8s.namespace.name": request.namespace,
        "tollgate.object.name": request.name,
      },
    });
  }

  async #reconcileKey(key: string): Promise<void> {
    const { queue, reconciler, observer } = this.#options;
    const slash = key.indexOf("/");
    const request: Request = { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    const log = this.#log.child({ key });
    const started = performance.now();
    const span = this.#options.tracing?.enabled ? this.#startSpan(request) : undefined;
    let outcome: ReconcileOutcome;
    try {
      const reconcile = () => reconciler.reconcile(request, log);
      const result = await (span ? runInSpan(span, reconcile) : reconcile());
      queue.forget(key);
      if (result?.requeueAfter !== undefined && result.requeueAfter >= 0) {
        outcome = "requeue_after";
        queue.addAfter(key, Math.max(1, Math.ceil(result.requeueAfter)));
        log.debug("reconciled; looking again later", { requeueAfterMs: Math.ceil(result.requeueAfter) });
      } else {
        outcome = "success";
        log.debug("reconciled");
      }
    } catch (error) {
      outcome = "error";
      const retryInMs = queue.addRateLimited(key);
      log.warn("reconcile failed; retrying with backoff", {
        error: errorText(error),
        failures: queue.failures(key),
        retryInMs,
      });
    }
    if (span) {
      span.setAttributes({ "tollgate.reconcile.result": outcome, "tollgate.reconcile.failures": queue.failures(key) });
      if (outcome === "error") span.fail("reconcile failed; retrying with backoff");
      span.end();
    }
    observer?.reconciled(outcome, (performance.now() - started) / 1000);
  }
}
