// What every endpoint middleware can reach: the server's parts (`TokenServer`) and
// the per-request state Koa carries in ctx.state.
import type { ParameterizedContext } from "koa";
import type { TokenEndpointAuthMethod } from "../api/v1alpha1/oauthclient.ts";
import type { Logger } from "../common/logger.ts";
import type { SpanHandle, Tracing } from "../common/tracing.ts";
import type { ClientRecord } from "../registry/record.ts";
import type { FailureLimiter } from "./client-auth/failure-limiter.ts";
import type { ClientLookup } from "./client-cache.ts";
import { type ClientEntry, clientEntry } from "./client-entry.ts";
import { InvalidRequest } from "./errors.ts";
import type { GrantParameters } from "./grants/parameters.ts";
import type { KeyRing } from "./key-ring.ts";
import type { Metrics } from "./metrics.ts";
import type { TrustedProxies } from "./source-address.ts";
import type { TokenState } from "./state/token-state.ts";
import type { ServiceAccountIssuer } from "./workload-identity/service-account-issuer.ts";

export interface ServerSettings {
  issuer: string;
  tokenEndpoint: string;
  introspectionEndpoint: string;
  revocationEndpoint: string;
  jwksUri: string;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
  /** Failed authentications of one client from one source per window before that source is locked out until the window ends. */
  authFailureLimit: number;
  authFailureWindowSeconds: number;
  /** Leeway for exp/nbf/iat of client assertions, seconds. */
  clockToleranceSeconds: number;
  /** Proxies whose X-Forwarded-For names the source of a request (CIDRs; config.ts --trusted-proxies). */
  trustedProxies: string[];
  /** The password grant's server-wide user directory (config.ts --users-file); optional. */
  usersFile?: string;
  /** The registrar's POST /register, advertised in discovery (RFC 8414 registration_endpoint); optional. */
  registrationEndpoint?: string;
}

export interface TokenServer {
  settings: ServerSettings;
  clients: ClientLookup;
  keys: KeyRing;
  state: TokenState;
  failures: FailureLimiter;
  /** The cluster's service-account issuer (workload_identity clients); absent unless configured. */
  serviceAccountIssuer?: ServiceAccountIssuer;
  proxies: TrustedProxies;
  metrics: Metrics;
  /** Off (no-op) unless OTEL_EXPORTER_OTLP_* names an endpoint (common/tracing.ts). */
  tracing: Tracing;
  log: Logger;
}

/** Form parameters, each with every value it was sent with (duplicates are checked per endpoint). */
export type Params = Map<string, string[]>;

export interface RequestState {
  server: TokenServer;
  /** Correlates this request's log lines with the client's report (middleware/request-id.ts). */
  requestId: string;
  endpoint: string;
  params: Params;
  /** The client_id the request claims, before it is authenticated (logged on refusals). */
  claimedClientId?: string;
  /** The mechanism the request used, set by client authentication before it checks anything. */
  authMethod?: TokenEndpointAuthMethod;
  client?: ClientRecord;
  grantType?: string;
  /** The parameters of the grant named by grant_type (the grant itself: grants/index.ts). */
  grant?: GrantParameters;
  /** The request's trace span while tracing is on; steps add children. */
  span?: SpanHandle;
}

export type Ctx = ParameterizedContext<RequestState>;
/**
 * One named step of an endpoint, run by koa-compose. A step that only checks and passes on
 * returns `next()` rather than being async: every async step costs a promise and an await
 * per request, and compose turns a step's synchronous throw into a rejection all the same.
 */
export type Step = (ctx: Ctx, next: () => Promise<void>) => Promise<void>;

/** The single value of a parameter (duplicates were rejected earlier), or undefined. */
export function param(ctx: Ctx, name: string): string | undefined {
  return ctx.state.params.get(name)?.[0];
}

/** The single value of a parameter the request must carry: invalid_request when it is missing or empty. */
export function requiredParam(ctx: Ctx, name: string): string {
  const value = param(ctx, name);
  if (!value) throw new InvalidRequest(`the "${name}" parameter is required`);
  return value;
}

/** The authenticated client's entry: its record and what is derived from it (client-entry.ts). */
export function authenticatedEntry(ctx: Ctx): ClientEntry {
  const client = authenticatedClient(ctx);
  return ctx.state.server.clients.entry(client.clientId) ?? clientEntry(client);
}

export function authenticatedClient(ctx: Ctx): ClientRecord {
  const client = ctx.state.client;
  if (!client) throw new Error("client authentication did not run before this step");
  return client;
}
