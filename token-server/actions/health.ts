import type { RegistryState } from "../client-cache.ts";
import type { Ctx, TokenServer } from "../request-context.ts";

/** /healthz: the process serves HTTP. */
export async function healthz(ctx: Ctx): Promise<void> {
  ctx.body = { status: "ok" };
}

/**
 * /readyz: ready when the registry is loaded (and built: client-cache.ts) and a signing key is present. Token state
 * is reported but does not decide readiness: without Redis this server still issues
 * JWTs (middleware/state-outage.ts), and taking it out of a Service would stop that too.
 */
export function readyz(server: TokenServer) {
  return async function ready(ctx: Ctx): Promise<void> {
    const registry = server.clients.ready;
    const keys = server.keys.ready;
    ctx.set("Cache-Control", "no-store");
    ctx.status = registry && keys ? 200 : 503;
    ctx.body = {
      status: registry && keys ? "ready" : "not ready",
      registry: REGISTRY_STATES[server.clients.state](server.clients.size),
      signingKeys: keys ? "present" : "missing",
      tokenState: server.state.available ? "available" : "unavailable",
    };
  };
}

const REGISTRY_STATES: Record<RegistryState, (clients: number) => string> = {
  loading: () => "not loaded",
  uninitialised: () => "not initialised: waiting for the operator to build it",
  lost: (clients) => `lost by Redis: serving the ${clients} clients held in memory while the operator rebuilds it`,
  loaded: (clients) => `loaded (${clients} clients)`,
};

/** /metrics in the Prometheus text format. */
export function metricsEndpoint(server: TokenServer) {
  return async function serveMetrics(ctx: Ctx): Promise<void> {
    ctx.type = server.metrics.registry.contentType;
    ctx.body = await server.metrics.registry.metrics();
  };
}
