// The Koa application: routes only. Each endpoint is its array of named steps in actions/.
import { Router } from "@koa/router";
import Koa from "koa";
import compose from "koa-compose";
import { discovery } from "./actions/discovery.ts";
import { introspectionEndpoint } from "./actions/introspect.ts";
import { jwks } from "./actions/jwks.ts";
import { openidMetadata } from "./actions/openid-configuration.ts";
import { revocationEndpoint } from "./actions/revoke.ts";
import { tokenEndpoint } from "./actions/token.ts";
import { userinfoEndpoint } from "./actions/userinfo.ts";
import { AUTHORIZE_PATHS, OPENID_PATHS } from "./authorize/paths.ts";
import { lazySteps } from "./middleware/lazy-steps.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./middleware/parse-form.ts";
import { assignRequestId } from "./middleware/request-id.ts";
import type { RequestState, ServerSettings, Step, TokenServer } from "./request-context.ts";

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
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    authFailureLimit: 10,
    authFailureWindowSeconds: 60,
    clockToleranceSeconds: 30,
    trustedProxies: [],
    ...overrides,
  };
}

export function createApp(server: TokenServer): Koa<RequestState> {
  const app = new Koa<RequestState>();
  // Every endpoint renders its own errors (middleware/error-handler.ts); anything reaching
  // Koa's handler is a bug, logged once here without request data.
  app.silent = true;
  app.on("error", (error: Error) => server.log.error("unhandled error", { error }));
  const router = new Router<RequestState>();
  router.post(PATHS.token, ...tokenEndpoint(server));
  router.post(PATHS.introspect, ...introspectionEndpoint(server));
  router.post(PATHS.revoke, ...revocationEndpoint(server));
  router.get(PATHS.jwks, jwks(server.keys));
  router.get(PATHS.metadata, discovery(server.settings, server.keys));
  router.get(PATHS.openidConfiguration, discovery(server.settings, server.keys, openidMetadata));
  // The browser flow's modules load on its first request (browser-flow.ts).
  const browserFlow = (steps: (flow: typeof import("./browser-flow.ts")) => Step[]) =>
    lazySteps(async () => steps(await import("./browser-flow.ts")));
  router.get(
    AUTHORIZE_PATHS.authorize,
    browserFlow((flow) => flow.authorizeEndpoint(server)),
  );
  router.post(
    AUTHORIZE_PATHS.authorize,
    browserFlow((flow) => flow.authorizeEndpoint(server, "POST")),
  );
  router.get(
    AUTHORIZE_PATHS.continue,
    browserFlow((flow) => flow.continueEndpoint(server)),
  );
  router.post(
    AUTHORIZE_PATHS.login,
    browserFlow((flow) => flow.loginEndpoint(server)),
  );
  router.post(
    AUTHORIZE_PATHS.consent,
    browserFlow((flow) => flow.consentEndpoint(server)),
  );
  router.get(
    AUTHORIZE_PATHS.stylesheet,
    browserFlow((flow) => [flow.serveStylesheet]),
  );
  router.get(OPENID_PATHS.userinfo, ...userinfoEndpoint(server));
  router.post(OPENID_PATHS.userinfo, ...userinfoEndpoint(server));
  router.get(
    OPENID_PATHS.endSession,
    browserFlow((flow) => flow.endSessionEndpoint(server, "GET")),
  );
  router.post(
    OPENID_PATHS.endSession,
    browserFlow((flow) => flow.endSessionEndpoint(server, "POST")),
  );
  // /healthz, /readyz and /metrics are served on the management port only (management.ts).
  // The token endpoint is the hot path: its steps are composed once and reached by
  // an exact test ahead of the router, sparing each token request the router's
  // matching and per-request composition. The router keeps the route (405 for GET).
  const tokenSteps = compose(tokenEndpoint(server));
  app.use(assignRequestId);
  app.use((ctx, next) => (ctx.method === "POST" && ctx.path === PATHS.token ? tokenSteps(ctx) : next()));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
