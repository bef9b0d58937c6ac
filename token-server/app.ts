// The Koa application: routes only. Each endpoint is its array of named steps in actions/.
import { Router } from "@koa/router";
import Koa from "koa";
import { discovery } from "./actions/discovery.ts";
import { healthz, metricsEndpoint, readyz } from "./actions/health.ts";
import { introspectionEndpoint } from "./actions/introspect.ts";
import { jwks } from "./actions/jwks.ts";
import { revocationEndpoint } from "./actions/revoke.ts";
import { tokenEndpoint } from "./actions/token.ts";
import type { RequestState, ServerSettings, TokenServer } from "./context.ts";

export const PATHS = {
  token: "/oauth2/token",
  introspect: "/oauth2/introspect",
  revoke: "/oauth2/revoke",
  jwks: "/oauth2/jwks",
  metadata: "/.well-known/oauth-authorization-server",
  openidConfiguration: "/.well-known/openid-configuration",
} as const;

/** Endpoint URLs under an issuer (RFC 8414 §2: the issuer is https, no query or fragment). */
export function settingsFor(issuer: string, overrides: Partial<Omit<ServerSettings, "issuer">> = {}): ServerSettings {
  const base = issuer.replace(/\/+$/, "");
  return {
    issuer,
    tokenEndpoint: `${base}${PATHS.token}`,
    introspectionEndpoint: `${base}${PATHS.introspect}`,
    revocationEndpoint: `${base}${PATHS.revoke}`,
    jwksUri: `${base}${PATHS.jwks}`,
    maxBodyBytes: 16 * 1024,
    authFailureLimit: 10,
    authFailureWindowSeconds: 60,
    clockToleranceSeconds: 30,
    ...overrides,
  };
}

export function createApp(server: TokenServer): Koa<RequestState> {
  const app = new Koa<RequestState>();
  // Every endpoint renders its own errors (middleware/observe.ts); anything reaching
  // Koa's handler is a bug, logged once here without request data.
  app.silent = true;
  app.on("error", (error: Error) => server.log.error("unhandled error", { error }));
  const router = new Router<RequestState>();
  router.post(PATHS.token, ...tokenEndpoint(server));
  router.post(PATHS.introspect, ...introspectionEndpoint(server));
  router.post(PATHS.revoke, ...revocationEndpoint(server));
  router.get(PATHS.jwks, jwks(server.keys));
  router.get(PATHS.metadata, discovery(server.settings, server.keys));
  router.get(PATHS.openidConfiguration, discovery(server.settings, server.keys));
  router.get("/healthz", healthz);
  router.get("/readyz", readyz(server));
  router.get("/metrics", metricsEndpoint(server));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
