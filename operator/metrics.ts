// Prometheus metrics of one operator instance, in its own registry (so two operators
// in one process, as in tests, do not collide). Names follow controller-runtime's
// where one exists, so existing dashboards read them.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ControllerObserver, ReconcileOutcome } from "./controller/controller.ts";
import type { WorkQueueObserver } from "./controller/work-queue.ts";

export interface OperatorMetrics extends ControllerObserver {
  /** The reconcile metrics of another controller of this operator, by its name. */
  observerFor(controller: string): ControllerObserver;
  /** client-go's workqueue metrics for the named queue (a new queue each leadership term shares them). */
  queueObserver(name: string): WorkQueueObserver;
  registry: Registry;
  registryWriteErrors: Counter;
  /** Times the registry was found lost (or never built) and written again in full. */
  registryRebuilds: Counter;
  /** 1 while the registry (Redis) connection is up. */
  registryAvailable: Gauge;
  leader: Gauge;
  /** Requests sent to the API server, by HTTP method (client-go's rest_client_requests_total, without its code label). */
  kubeRequests: Counter;
}

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60];

export function createMetrics(controller: string, options: { defaultMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "tollgate_operator_" });
  const reconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Reconciles by controller and result (success, requeue_after, error).",
    labelNames: ["controller", "result"],
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Reconciles that returned an error, by controller.",
    labelNames: ["controller"],
    registers: [registry],
  });
  const observerFor = (name: string): ControllerObserver => {
    for (const result of ["success", "requeue_after", "error"]) reconcileTotal.inc({ controller: name, result }, 0);
    reconcileErrors.inc({ controller: name }, 0);
    return {
      reconciled(outcome: ReconcileOutcome, seconds: number) {
        reconcileTotal.inc({ controller: name, result: outcome });
        if (outcome === "error") reconcileErrors.inc({ controller: name });
        reconcileSeconds.observe({ controller: name }, seconds);
      },
    };
  };
  const reconcileSeconds = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Duration of reconciles.",
    labelNames: ["controller"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const registryWriteErrors = new Counter({
    name: "tollgate_registry_write_errors_total",
    help: "Registry (Redis) writes that failed.",
    registers: [registry],
  });
  const registryRebuilds = new Counter({
    name: "tollgate_registry_rebuilds_total",
    help: "Times Redis was found without a built registry (lost or new) and every client was written again.",
    registers: [registry],
  });
  const registryAvailable = new Gauge({
    name: "tollgate_registry_available",
    help: "1 while the operator's registry (Redis) connection is up.",
    registers: [registry],
  });
  const queueObserver = workQueueMetrics(registry);
  const leader = new Gauge({
    name: "leader_election_master_status",
    help: "1 while this replica holds the leader Lease.",
    labelNames: ["name"],
    registers: [registry],
  });
  leader.set({ name: controller }, 0);
  const kubeRequests = new Counter({
    name: "rest_client_requests_total",
    help: "Requests this operator sent to the Kubernetes API server (watches and lists included), by HTTP method.",
    labelNames: ["method"],
    registers: [registry],
  });
  const main = observerFor(controller);
  return {
    observerFor,
    registry,
    registryWriteErrors,
    registryRebuilds,
    registryAvailable,
    queueObserver,
    leader,
    kubeRequests,
    reconciled: main.reconciled,
  };
}

/** client-go's workqueue metrics (the names controller-runtime exports), labelled by queue name. */
function workQueueMetrics(registry: Registry): (name: string) => WorkQueueObserver {
  const labelNames = ["name"];
  const depth = new Gauge({
    name: "workqueue_depth",
    help: "Keys waiting in the work queue.",
    labelNames,
    registers: [registry],
  });
  const adds = new Counter({
    name: "workqueue_adds_total",
    help: "Keys added to the work queue.",
    labelNames,
    registers: [registry],
  });
  const retries = new Counter({
    name: "workqueue_retries_total",
    help: "Keys re-added with backoff after a failed reconcile.",
    labelNames,
    registers: [registry],
  });
  const queueDuration = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long a key waited in the queue before a worker took it.",
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const workDuration = new Histogram({
    name: "workqueue_work_duration_seconds",
    help: "How long processing a key took.",
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  /** Keys being processed, by queue: when each started (performance.now ms). */
  const inFlight = new Map<string, Map<string, number>>();
  const inFlightSeconds = (name: string, reduce: (total: number, seconds: number) => number) => {
    const now = performance.now();
    return [...(inFlight.get(name)?.values() ?? [])].reduce(
      (total, started) => reduce(total, (now - started) / 1000),
      0,
    );
  };
  new Gauge({
    name: "workqueue_unfinished_work_seconds",
    help: "Seconds of work in progress not yet observed by work_duration; large values mean stuck workers.",
    labelNames,
    registers: [registry],
    collect() {
      for (const name of inFlight.keys())
        this.set(
          { name },
          inFlightSeconds(name, (a, b) => a + b),
        );
    },
  });
  new Gauge({
    name: "workqueue_longest_running_processor_seconds",
    help: "Seconds the longest-running key of the queue has been processed.",
    labelNames,
    registers: [registry],
    collect() {
      for (const name of inFlight.keys()) this.set({ name }, inFlightSeconds(name, Math.max));
    },
  });
  return (name) => {
    const labels = { name };
    const addedAt = new Map<string, number>();
    const started = new Map<string, number>();
    inFlight.set(name, started);
    depth.set(labels, 0);
    adds.inc(labels, 0);
    retries.inc(labels, 0);
    return {
      added(key) {
        adds.inc(labels);
        depth.inc(labels);
        addedAt.set(key, performance.now());
      },
      started(key) {
        const now = performance.now();
        depth.dec(labels);
        const at = addedAt.get(key);
        if (at !== undefined) queueDuration.observe(labels, (now - at) / 1000);
        addedAt.delete(key);
        started.set(key, now);
      },
      finished(key) {
        const at = started.get(key);
        if (at !== undefined) workDuration.observe(labels, (performance.now() - at) / 1000);
        started.delete(key);
      },
      retried() {
        retries.inc(labels);
      },
      dropped(keys) {
        depth.dec(labels, keys.length);
        for (const key of keys) addedAt.delete(key);
      },
    };
  };
}
