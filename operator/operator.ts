// Wires the operator together: the manager (manager.ts: informers, leader election,
// health, metrics) runs two controllers while this replica leads, the OAuthClient
// controller (controllers/oauthclient.ts) and the signing-key controller
// (controllers/signing-keys.ts). `startOperator` is what main.ts runs and what tests
// and the benchmark start in-process.
import { KubeConfig } from "../common/kubernetes-client.ts";
import { createLogger, type Logger } from "../common/logger.ts";
import { NO_TRACING, type Tracing, tracedMethods } from "../common/tracing.ts";
import { RecordKeyRing } from "../registry/record-keys.ts";
import { RedisRegistry } from "../registry/redis-registry.ts";
import { registerClientMetrics } from "./client-metrics.ts";
import type { OperatorConfig } from "./config.ts";
import { OAUTHCLIENT_CONTROLLER, oauthClientController } from "./controllers/oauthclient.ts";
import { REGISTRY_KEYS_CONTROLLER, registryKeysController } from "./controllers/registry-keys.ts";
import { REGISTRY_REBUILD_CONTROLLER, registryRebuildController } from "./controllers/registry-rebuild.ts";
import { SIGNING_KEYS_CONTROLLER, SIGNING_KEYS_ROTATED_AT, signingKeysController } from "./controllers/signing-keys.ts";
import { makeClients } from "./kube.ts";
import { Manager } from "./manager.ts";
import { createMetrics, type OperatorMetrics } from "./metrics.ts";
import { createEventRecorder } from "./reconcile/events.ts";

export const REPORTING_CONTROLLER = "tollgate.dev/operator";

export interface RunningOperator {
  /** Port of /healthz, /readyz and /metrics. */
  port: number;
  metrics: OperatorMetrics;
  isLeader(): boolean;
  /** Resolves when the caches have synced. */
  synced(): Promise<void>;
  /** Graceful: stop reconciling (in-flight reconciles finish), release the Lease, close connections. */
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Expose Node's process metrics too (main.ts does; in-process tests do not). */
  defaultMetrics?: boolean;
  /** A span per reconcile, with children for registry writes (common/tracing.ts); default off. */
  tracing?: Tracing;
  /**
   * The ring the registry record keys from the Secret are installed into; default a
   * new one. Tests pass the ring their own registry readers verify with.
   */
  recordKeys?: RecordKeyRing;
}

export async function startOperator(config: OperatorConfig, options: StartOptions = {}): Promise<RunningOperator> {
  const log = options.log ?? createLogger({ level: config.logLevel });
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromDefault();
  const metrics = createMetrics(OAUTHCLIENT_CONTROLLER, { defaultMetrics: options.defaultMetrics ?? false });
  const kube = makeClients(kubeConfig, { onRequest: (method) => metrics.kubeRequests.inc({ method }) });
  // Not awaited: the controllers start whatever Redis does; an outage is logged and
  // counted here and reported on each resource (RegistryReady False), and clients
  // still get their Secrets meanwhile.
  const outage = registryOutageReporter(log, metrics);
  const recordKeys = options.recordKeys ?? new RecordKeyRing();
  const registry = RedisRegistry.start(
    { url: config.redisUrl, mode: config.redisMode, caFile: config.redisCaFile, keyPrefix: config.redisKeyPrefix },
    recordKeys,
    { onError: outage.error },
  );
  // Someone else wrote into the registry: the reconcile that read it writes the real record back.
  registry.onRejectedRecord(({ clientId, reason }) =>
    log.warn("registry record does not verify under the record keys; writing the real one", { clientId, reason }),
  );
  const outageCheck = setInterval(() => outage.observe(registry.available), 1000);
  outageCheck.unref();

  const tracing = options.tracing ?? NO_TRACING;
  const manager = new Manager({ kube, config, metrics, log, tracing });
  // A Redis that is merely slower to connect than the caches to sync is waited for a
  // moment, so a normal start does not report an outage on every resource.
  manager.addStartGate(() => registryConnected(registry, REGISTRY_START_WAIT_MS));
  // Records are written only MAC'd: the keys are loaded (or created) before the
  // OAuthClient controller starts, so a normal start reports no failed write.
  const registryKeys = registryKeysController(kubeConfig, kube, config, recordKeys, log);
  manager.addSource(registryKeys.source);
  manager.addStartGate(async () => {
    await registryKeys.reconciler
      .reconcile(registryKeys.reconciler.request, log)
      .catch((error: unknown) => log.warn("registry record keys not loaded yet; the controller retries", { error }));
  });
  const events = createEventRecorder(kube, REPORTING_CONTROLLER, config.identity, log);
  const oauthClients = oauthClientController({
    kube,
    kubeConfig,
    config,
    registry: tracing.enabled ? tracedMethods(registry, "registry", ["put", "delete", "get"]) : registry,
    events,
    log,
    onRegistryWriteError: () => metrics.registryWriteErrors.inc(),
  });
  manager.addSource(oauthClients.oauthClients);
  manager.addSource(oauthClients.secrets);
  manager.addSource(oauthClients.serviceAccounts);
  manager.addSource(oauthClients.tenancy.policies);
  manager.addSource(oauthClients.tenancy.namespaces);
  manager.addController(oauthClients.spec, metrics);
  manager.addController(registryKeys.spec, metrics.observerFor(REGISTRY_KEYS_CONTROLLER));
  manager.addController(
    registryRebuildController({
      registry,
      reconcileAllClients: () => manager.reconcileAll(OAUTHCLIENT_CONTROLLER),
      clientsDrained: () => manager.drained(OAUTHCLIENT_CONTROLLER),
      checkPeriodMs: config.registryCheckPeriodMs,
      rebuildDeadlineMs: REGISTRY_REBUILD_DEADLINE_MS,
      onRebuild: () => metrics.registryRebuilds.inc(),
      log,
    }),
    metrics.observerFor(REGISTRY_REBUILD_CONTROLLER),
  );
  let signingKeysSource: ReturnType<typeof signingKeysController>["source"] | undefined;
  if (config.signingKeysSecret) {
    const signingKeys = signingKeysController(kubeConfig, kube, config, log);
    signingKeysSource = signingKeys.source;
    manager.addSource(signingKeys.source);
    manager.addController(signingKeys.spec, metrics.observerFor(SIGNING_KEYS_CONTROLLER));
  }
  registerClientMetrics(metrics.registry, {
    oauthClients: () => oauthClients.oauthClients.list(),
    isLeader: () => manager.isLeader(),
    ...(signingKeysSource
      ? {
          signingKeys: {
            secret: () => signingKeysSource.get(config.signingKeysNamespace, config.signingKeysSecret),
            rotatedAtAnnotation: SIGNING_KEYS_ROTATED_AT,
            rotationMs: config.signingKeyRotationMs,
          },
        }
      : {}),
  });
  await manager.start();
  log.info("operator started", {
    identity: config.identity,
    namespaces: config.namespaces.length ? config.namespaces : "all",
    leaderElection: config.leaderElection,
    port: manager.port,
  });

  let stopping: Promise<void> | undefined;
  return {
    port: manager.port,
    metrics,
    isLeader: () => manager.isLeader(),
    synced: () => manager.synced(),
    stop() {
      stopping ??= (async () => {
        clearInterval(outageCheck);
        await manager.stopControllers();
        await events.flush();
        await manager.stopSources();
        await registry.close();
        await manager.closeHealth();
        log.info("operator stopped");
      })();
      return stopping;
    },
  };
}

const REGISTRY_START_WAIT_MS = 5_000;
/** A rebuild marks the registry initialised at the latest this long after it began. */
const REGISTRY_REBUILD_DEADLINE_MS = 30_000;

/** Resolves once the registry is connected, or after `ms` whatever it does. */
async function registryConnected(registry: RedisRegistry, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !registry.available && Date.now() < deadline; )
    await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Logs a registry outage once when it starts and once when it ends, and keeps the availability gauge. */
function registryOutageReporter(log: Logger, metrics: OperatorMetrics) {
  let down = false;
  let lastError = "";
  return {
    error(error: Error) {
      lastError = error.message;
      if (down) return;
      down = true;
      metrics.registryAvailable.set(0);
      log.warn("registry (Redis) unreachable; Secrets are still written, registry writes retry", { error });
    },
    observe(available: boolean) {
      metrics.registryAvailable.set(available ? 1 : 0);
      if (available && down) {
        down = false;
        log.info("registry (Redis) reachable again", { lastError });
      } else if (!available && !down) {
        down = true;
        log.warn("registry (Redis) unreachable; Secrets are still written, registry writes retry");
      }
    },
  };
}
