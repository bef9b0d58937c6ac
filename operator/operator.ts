// Wires the operator together: informers on OAuthClients and Secrets feed one work
// queue; the OAuthClient controller reconciles from it while this replica leads;
// health and metrics are served throughout. `startOperator` is what main.ts runs and
// what tests and the benchmark start in-process.
import { KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { GROUP, type OAuthClient, PLURAL, VERSION } from "../api/v1alpha1/oauthclient.ts";
import { createLogger, type Logger } from "../common/logger.ts";
import { RedisRegistry } from "../registry/redis-registry.ts";
import { type OperatorConfig, tokenEndpointOf } from "./config.ts";
import { Controller } from "./controller/controller.ts";
import { Informer, type ListPage, type ListWatchSource } from "./controller/informer.ts";
import { InformerGroup } from "./controller/informer-group.ts";
import { WorkQueue } from "./controller/work-queue.ts";
import {
  type IndexLookup,
  OAUTHCLIENT_INDEXES,
  otherClaimants,
  ownKey,
  secretReaders,
} from "./controllers/oauthclient-watches.ts";
import { startHealthServer } from "./health-server.ts";
import { type KubeClients, makeClients } from "./kube.ts";
import { LeaderElector } from "./leader-election.ts";
import { createMetrics, type OperatorMetrics } from "./metrics.ts";
import { holdsClientId } from "./reconcile/client-id.ts";
import type { Claimant, ReconcileContext } from "./reconcile/context.ts";
import { createEventRecorder } from "./reconcile/events.ts";
import { OAuthClientReconciler } from "./reconcile/oauthclient-reconciler.ts";
import { startSigningKeyManager } from "./signing-keys.ts";

export const CONTROLLER_NAME = "oauthclient";
export const FIELD_MANAGER = "tollgate-operator";
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
}

export async function startOperator(config: OperatorConfig, options: StartOptions = {}): Promise<RunningOperator> {
  const log = options.log ?? createLogger({ level: config.logLevel });
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromDefault();
  const kube = makeClients(kubeConfig);
  const metrics = createMetrics(CONTROLLER_NAME, { defaultMetrics: options.defaultMetrics ?? false });
  // Not awaited: the controllers start whatever Redis does; an outage is logged and
  // counted here and reported on each resource (RegistryReady False), and clients
  // still get their Secrets meanwhile.
  const outage = registryOutageReporter(log, metrics);
  const registry = RedisRegistry.start(config.redisUrl, { onError: outage.error });

  const scopes = config.namespaces.length ? config.namespaces : [""];
  const informerOptions = { stallTimeoutMs: config.watchStallTimeoutMs };
  const oauthClients = new InformerGroup<OAuthClient>(
    new Map(
      scopes.map((ns) => [
        ns,
        new Informer(
          `oauthclients${ns ? `/${ns}` : ""}`,
          kubeConfig,
          oauthClientSource(kube, ns),
          log,
          informerOptions,
        ),
      ]),
    ),
  );
  const secrets = new InformerGroup<V1Secret>(
    new Map(
      scopes.map((ns) => [
        ns,
        new Informer(`secrets${ns ? `/${ns}` : ""}`, kubeConfig, secretSource(kube, ns), log, informerOptions),
      ]),
    ),
  );
  for (const informer of oauthClients.members)
    for (const [name, index] of Object.entries(OAUTHCLIENT_INDEXES)) informer.addIndex(name, index);
  const lookup: IndexLookup = (index, value) => oauthClients.byIndex(index, value);

  let queue: WorkQueue | undefined;
  let controller: Controller | undefined;
  const enqueue = (key: string) => queue?.add(key);
  for (const map of [ownKey, otherClaimants(lookup)])
    oauthClients.onEvent((type, object, previous) => {
      for (const key of map(type, object, previous)) enqueue(key);
    });
  const readers = secretReaders(lookup);
  secrets.onEvent((type, secret, previous) => {
    for (const key of readers(type, secret, previous)) enqueue(key);
  });

  const identity = config.identity;
  const ctx: ReconcileContext = {
    kube,
    registry,
    issuer: config.issuer,
    tokenEndpoint: tokenEndpointOf(config.issuer),
    fieldManager: FIELD_MANAGER,
    cachedSecret: (namespace, name) => secrets.get(namespace, name),
    claimantsOf: (clientId) =>
      oauthClients
        .byIndex("clientId", clientId)
        .map((key) => {
          const slash = key.indexOf("/");
          return oauthClients.get(key.slice(0, slash), key.slice(slash + 1));
        })
        .filter((o): o is OAuthClient => o !== undefined)
        .map(
          (o): Claimant => ({
            namespace: o.metadata.namespace ?? "",
            name: o.metadata.name,
            uid: o.metadata.uid ?? "",
            creationTimestamp: o.metadata.creationTimestamp ?? "",
            holds: holdsClientId(o),
          }),
        ),
    events: createEventRecorder(kube, REPORTING_CONTROLLER, identity, log),
    onRegistryWriteError: () => metrics.registryWriteErrors.inc(),
    registryAvailable: () => registry.available,
    claimNamespace: config.leaseNamespace,
    now: () => Date.now(),
  };
  const reconciler = new OAuthClientReconciler(ctx);
  const signingKeys = config.signingKeysSecret
    ? startSigningKeyManager(kube, config, log.child({ controller: "signing-keys" }))
    : undefined;

  // Each leadership term starts the controller once the caches are synced. The wait
  // happens outside the elector's loop (which must keep renewing meanwhile), and a term
  // that ended before the caches synced starts nothing.
  let term = 0;
  const startLeading = () => {
    const myTerm = ++term;
    metrics.leader.set({ name: CONTROLLER_NAME }, 1);
    void (async () => {
      await oauthClients.waitForSync();
      await secrets.waitForSync();
      if (myTerm !== term) return;
      queue = new WorkQueue();
      controller = new Controller({
        name: CONTROLLER_NAME,
        queue,
        reconciler,
        concurrency: config.concurrency,
        log,
        observer: metrics,
      });
      for (const key of oauthClients.keys()) queue.add(key);
      controller.start();
      signingKeys?.start();
    })();
  };
  const stopLeading = async () => {
    term += 1;
    metrics.leader.set({ name: CONTROLLER_NAME }, 0);
    const running = controller;
    queue = undefined;
    controller = undefined;
    await Promise.all([running?.stop(), signingKeys?.stop()]);
  };

  oauthClients.start();
  secrets.start();
  const resync = setInterval(() => {
    for (const key of oauthClients.keys()) enqueue(key);
  }, config.resyncPeriodMs);
  resync.unref();
  const depth = setInterval(() => {
    metrics.queueDepth.set({ name: CONTROLLER_NAME }, queue?.depth() ?? 0);
    outage.observe(registry.available);
  }, 1000);
  depth.unref();

  const elector = config.leaderElection
    ? new LeaderElector(
        kube,
        {
          namespace: config.leaseNamespace,
          name: config.leaseName,
          identity,
          leaseDurationMs: config.leaseDurationMs,
          renewDeadlineMs: config.renewDeadlineMs,
          retryPeriodMs: config.retryPeriodMs,
        },
        { onStartedLeading: startLeading, onStoppedLeading: stopLeading },
        log,
      )
    : undefined;
  if (elector) elector.start();
  else startLeading();

  const allInformers = [...oauthClients.members, ...secrets.members];
  const health = await startHealthServer(config.metricsHost, config.metricsPort, {
    metrics: metrics.registry,
    healthy: () => {
      // A watch never idles past twice the stall timeout unless its loop is wedged.
      const wedged = allInformers.find((i) => i.hasSynced() && i.idleMs() > 2 * config.watchStallTimeoutMs + 60_000);
      return wedged ? `informer ${wedged.name} has not heard from the API server in ${wedged.idleMs()} ms` : undefined;
    },
    ready: () => {
      const pending = allInformers.filter((i) => !i.hasSynced()).map((i) => i.name);
      return pending.length ? `caches not synced: ${pending.join(", ")}` : undefined;
    },
  });
  log.info("operator started", {
    identity,
    namespaces: config.namespaces.length ? config.namespaces : "all",
    leaderElection: config.leaderElection,
    port: health.port,
  });

  let stopping: Promise<void> | undefined;
  return {
    port: health.port,
    metrics,
    isLeader: () => (elector ? elector.isLeader() : true),
    synced: async () => {
      await oauthClients.waitForSync();
      await secrets.waitForSync();
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(resync);
        clearInterval(depth);
        if (elector) await elector.stop();
        else await stopLeading();
        await ctx.events.flush();
        await Promise.all([oauthClients.stop(), secrets.stop()]);
        await registry.close();
        await new Promise<void>((resolve) => health.server.close(() => resolve()));
        health.server.closeAllConnections();
        log.info("operator stopped");
      })();
      return stopping;
    },
  };
}

function oauthClientSource(kube: KubeClients, namespace: string): ListWatchSource<OAuthClient> {
  return {
    watchPath: namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    list: async ({ limit, continueToken }) =>
      (namespace
        ? await kube.custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace,
            plural: PLURAL,
            limit,
            _continue: continueToken,
          })
        : await kube.custom.listCustomObjectForAllNamespaces({
            group: GROUP,
            version: VERSION,
            resourcePlural: PLURAL,
            limit,
            _continue: continueToken,
          })) as ListPage<OAuthClient>,
  };
}

function secretSource(kube: KubeClients, namespace: string): ListWatchSource<V1Secret> {
  return {
    watchPath: namespace ? `/api/v1/namespaces/${namespace}/secrets` : "/api/v1/secrets",
    list: async ({ limit, continueToken }) =>
      (namespace
        ? await kube.core.listNamespacedSecret({ namespace, limit, _continue: continueToken })
        : await kube.core.listSecretForAllNamespaces({ limit, _continue: continueToken })) as ListPage<V1Secret>,
  };
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
