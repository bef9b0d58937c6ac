// Entry point: `node token-server/main.ts [--standalone] ...` (flags in config.ts).
import { createLogger } from "../common/logger.ts";
import { redisConnection } from "../common/redis-connection.ts";
import { installShutdown } from "../common/shutdown.ts";
import { startTracing } from "../common/tracing.ts";
import type { RegistryReader } from "../registry/record.ts";
import { RecordKeyRing } from "../registry/record-keys.ts";
import { RedisRegistry } from "../registry/redis-registry.ts";
import { loadConfig, usage } from "./config.ts";
import { KeyRing } from "./key-ring.ts";
import { startTokenServer } from "./server.ts";
import type { StandaloneClient } from "./standalone.ts";
import { MemoryTokenState } from "./state/memory-state.ts";
import { RedisTokenState } from "./state/redis-state.ts";
import type { TokenState } from "./state/token-state.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage()}\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const log = createLogger({ level: config.logLevel });
  const tracing = await startTracing("tollgate-token-server");
  if (tracing.enabled) log.info("tracing on: spans go to the OTLP endpoint of OTEL_EXPORTER_OTLP_*");
  let registry: RegistryReader;
  let state: TokenState;
  let keys: KeyRing;
  let standaloneClients: StandaloneClient[] = [];
  let redisConnections: Record<string, () => boolean> | undefined;
  const closers: (() => Promise<void>)[] = [];
  if (config.standalone) {
    // Imported here only: a cluster deployment has no use for the manifest reader.
    const { loadManifests } = await import("./standalone.ts");
    const loaded = await loadManifests(config.manifestsDir, log);
    registry = loaded.registry;
    standaloneClients = loaded.clients;
    state = new MemoryTokenState();
    keys = await KeyRing.generated(config.signingAlg);
  } else {
    // The registry client keeps its offline queue: a resync issued while Redis is
    // down waits for it and completes when it returns. Token state fails fast instead.
    const client = redisConnection(config.redis);
    client.onError((error: Error) => log.warn("registry Redis connection error", { error }));
    // Not awaited: with Redis not up yet the server starts anyway and is not ready
    // until the registry loads (client-cache.ts).
    client.connect().catch((error: Error) => log.warn("registry Redis connection error", { error }));
    const recordKeys = await RecordKeyRing.fromDirectory(
      config.registryKeysDir as string,
      log,
      config.keysPollIntervalSeconds * 1000,
    );
    closers.push(async () => recordKeys.stop());
    const redisRegistry = new RedisRegistry(client, recordKeys);
    closers.push(() => redisRegistry.close());
    registry = redisRegistry;
    state = RedisTokenState.start({
      ...config.redis,
      onError: (error) => log.warn("token state Redis connection error", { error }),
    });
    const tokenState = state;
    redisConnections = { registry: () => redisRegistry.available, token_state: () => tokenState.available };
    keys = await KeyRing.fromDirectory(config.signingKeysDir as string, log, config.keysPollIntervalSeconds * 1000);
  }
  const running = await startTokenServer({
    host: config.host,
    port: config.port,
    managementHost: config.managementHost,
    managementPort: config.managementPort,
    metricsClientLimit: config.metricsClientLimit,
    ...(redisConnections ? { redisConnections } : {}),
    tracing,
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.tlsCertFile && config.tlsKeyFile
      ? {
          tls: {
            certFile: config.tlsCertFile,
            keyFile: config.tlsKeyFile,
            pollMs: config.keysPollIntervalSeconds * 1000,
          },
        }
      : {}),
    registry,
    state,
    keys,
    log,
    resyncIntervalMs: config.resyncIntervalSeconds * 1000,
    processMetrics: true,
    ...(config.serviceAccountIssuer === undefined
      ? {}
      : {
          workloadIdentity: {
            issuer: config.serviceAccountIssuer,
            ...(config.serviceAccountAudience === undefined ? {} : { audience: config.serviceAccountAudience }),
            ...(config.serviceAccountCaFile === undefined ? {} : { caFile: config.serviceAccountCaFile }),
            ...(config.serviceAccountTokenFile === undefined ? {} : { tokenFile: config.serviceAccountTokenFile }),
          },
        }),
    settings: {
      maxBodyBytes: config.maxBodyBytes,
      authFailureLimit: config.authFailureLimit,
      authFailureWindowSeconds: config.authFailureWindowSeconds,
      trustedProxies: config.trustedProxies,
      ...(config.usersFile === undefined ? {} : { usersFile: config.usersFile }),
      ...(config.registrationEndpoint === undefined ? {} : { registrationEndpoint: config.registrationEndpoint }),
    },
  });
  const serviceAccounts = running.server.serviceAccountIssuer;
  if (serviceAccounts)
    log.info("workload identity on: ServiceAccount tokens of this issuer authenticate workload_identity clients", {
      issuer: serviceAccounts.issuer,
      audience: serviceAccounts.audience,
    });
  if (config.standalone) {
    const { describeClients } = await import("./standalone.ts");
    process.stdout.write(`${describeClients(standaloneClients, running.server.settings.tokenEndpoint)}\n`);
  }

  // Redis may be unreachable: its clients then retry forever and a graceful close never
  // returns, so the closing steps share the drain's deadline (common/shutdown.ts).
  const timeoutMs = config.shutdownTimeoutSeconds * 1000;
  installShutdown({
    log,
    timeoutMs,
    steps: [
      // The drain leaves a tenth of the time (at least a second) for closing the stores.
      { name: "drain HTTP", run: () => running.drain(Math.max(timeoutMs - Math.max(1000, timeoutMs / 10), 0)) },
      { name: "stop key polling", run: async () => keys.stop() },
      { name: "close token state", run: () => state.close() },
      ...closers.map((close) => ({ name: "close registry", run: close })),
      { name: "flush traces", run: () => tracing.shutdown() },
    ],
  });
}

await main();
