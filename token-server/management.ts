// The management listener: /healthz, /readyz and /metrics on a port of their own
// (config.ts --management-port), which the chart's probes and ServiceMonitor reach and
// its Service, Ingress and HTTPRoute do not. The public port answers these paths 404:
// metrics name every registered client and readiness details the backends, neither
// for the internet.
import { Router } from "@koa/router";
import Koa from "koa";
import { healthz, metricsEndpoint, readyz } from "./actions/health.ts";
import type { RequestState, TokenServer } from "./request-context.ts";

export const MANAGEMENT_PATHS = { healthz: "/healthz", readyz: "/readyz", metrics: "/metrics" } as const;

export function createManagementApp(server: TokenServer): Koa<RequestState> {
  const app = new Koa<RequestState>();
  app.silent = true;
  app.on("error", (error: Error) => server.log.error("unhandled management error", { error }));
  const router = new Router<RequestState>();
  router.get(MANAGEMENT_PATHS.healthz, healthz);
  router.get(MANAGEMENT_PATHS.readyz, readyz(server));
  router.get(MANAGEMENT_PATHS.metrics, metricsEndpoint(server));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
