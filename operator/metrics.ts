// Prometheus metrics of one operator instance, in its own registry (so two operators
// in one process, as in tests, do not collide). Names follow controller-runtime's
// where one exists, so existing dashboards read them.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ControllerObserver, ReconcileOutcome } from "./controller/controller.ts";

export interface OperatorMetrics extends ControllerObserver {
  /** The reconcile metrics of another controller of this operator, by its name. */
  observerFor(controller: string): ControllerObserver;
  registry: Registry;
  registryWriteErrors: Counter;
  /** Times the registry was found lost (or never built) and written again in full. */
  registryRebuilds: Counter;
  /** 1 while the registry (Redis) connection is up. */
  registryAvailable: Gauge;
  queueDepth: Gauge;
  leader: Gauge;
}

export function createMetrics(controller: string, options: { defaultMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "tollgate_operator_" });
  const reconcileTotal = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Reconciles by controller and result (success, requeue_after, error).",
    labelNames: ["controller", "result"],
    registers: [registry],
  });
  const observerFor = (name: string): ControllerObserver => {
    for (const result of ["success", "requeue_after", "error"]) reconcileTotal.inc({ controller: name, result }, 0);
    return {
      reconciled(outcome: ReconcileOutcome, seconds: number) {
        reconcileTotal.inc({ controller: name, result: outcome });
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
  const queueDepth = new Gauge({
    name: "workqueue_depth",
    help: "Keys waiting in the work queue.",
    labelNames: ["name"],
    registers: [registry],
  });
  const leader = new Gauge({
    name: "leader_election_master_status",
    help: "1 while this replica holds the leader Lease.",
    labelNames: ["name"],
    registers: [registry],
  });
  leader.set({ name: controller }, 0);
  queueDepth.set({ name: controller }, 0);
  const main = observerFor(controller);
  return {
    observerFor,
    registry,
    registryWriteErrors,
    registryRebuilds,
    registryAvailable,
    queueDepth,
    leader,
    reconciled: main.reconciled,
  };
}
