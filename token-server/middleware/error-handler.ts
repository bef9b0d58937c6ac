// The outermost step of every endpoint: gives the request its server and endpoint
// name, answers errors (the one place they are caught), logs refusals, counts the
// outcome and times it. The token, introspection and revocation endpoints answer with
// RFC 6749 §5.2 bodies (handleErrors); the authorization endpoint with a redirect or a page
// (authorize/interaction-error-handler.ts), through the same handleRequestErrors.

import type { SpanHandle } from "../../common/tracing.ts";
import { InvalidClient, type OAuthError } from "../errors.ts";
import type { Ctx, Params, TokenServer } from "../request-context.ts";
import { sendJson } from "../send-json.ts";
import { sourceAddress } from "../source-address.ts";
import { toOAuthError } from "./state-outage.ts";

export const BASIC_REALM = "tollgate";
/** Until parseForm runs; never written to. */
const NO_PARAMS: Params = new Map();

/** What differs between endpoint families; handleRequestErrors does the rest. */
export interface Observer<C extends Ctx> {
  /** The log messages of a refusal (4xx) and of a failure (5xx). */
  refused: string;
  failed: string;
  /** The request's parameters until its parser runs. */
  initialParams(): Params;
  /** Answers the error; returns log fields saying how. */
  answer(ctx: C, error: OAuthError): Record<string, unknown>;
  clientId(ctx: C): string | undefined;
  count(ctx: C, outcome: string): void;
}

export function handleRequestErrors<C extends Ctx>(server: TokenServer, endpoint: string, observer: Observer<C>) {
  const { metrics, log } = server;
  const timer = metrics.duration.labels(endpoint);
  return async function handleRequest(ctx: C, next: () => Promise<void>): Promise<void> {
    const started = performance.now();
    ctx.state.server = server;
    ctx.state.endpoint = endpoint;
    ctx.state.params = observer.initialParams();
    const span = server.tracing.enabled ? startSpan(server, ctx) : undefined;
    ctx.state.span = span;
    let outcome = "ok";
    try {
      await next();
    } catch (caught) {
      const error = toOAuthError(caught);
      outcome = error.error;
      // Who asked, from where, and which request: enough to find an attacker's or a
      // misconfigured client's refusals without logging anything they sent.
      const fields = {
        endpoint,
        request_id: ctx.state.requestId,
        source: sourceAddress(ctx),
        error: error.error,
        ...observer.answer(ctx, error),
        client_id: observer.clientId(ctx),
        detail: error.detail ?? error.description,
      };
      if (error.status >= 500) log.error(observer.failed, { ...fields, cause: caught });
      else log.info(observer.refused, fields);
    } finally {
      observer.count(ctx, outcome);
      timer.observe((performance.now() - started) / 1000);
      if (span) endSpan(span, ctx, outcome);
    }
  };
}

/** A server span continuing the caller's trace (its `traceparent` header), named by method and route. */
function startSpan(server: TokenServer, ctx: Ctx): SpanHandle {
  return server.tracing.start(`${ctx.method} ${ctx.path}`, {
    kind: "server",
    headers: ctx.headers,
    attributes: { "http.request.method": ctx.method, "http.route": ctx.path, "tollgate.endpoint": ctx.state.endpoint },
  });
}

function endSpan(span: SpanHandle, ctx: Ctx, outcome: string): void {
  // Only what the server vouches for: the authenticated client, a grant type it knows.
  span.setAttributes({
    "http.response.status_code": ctx.status,
    "oauth2.grant_type": ctx.state.grantType,
    "oauth2.client_id": ctx.state.client?.clientId,
    "tollgate.outcome": outcome,
  });
  if (ctx.status >= 500) span.fail(outcome);
  span.end();
}

export function handleErrors(server: TokenServer, endpoint: string) {
  const { metrics } = server;
  return handleRequestErrors<Ctx>(server, endpoint, {
    refused: "request refused",
    failed: "request failed",
    initialParams: () => NO_PARAMS,
    answer(ctx, error) {
      render(ctx, error);
      return { status: error.status };
    },
    clientId: (ctx) => ctx.state.client?.clientId ?? clientIdHint(ctx),
    count(ctx, outcome) {
      metrics.request(endpoint, grantLabel(ctx), outcome);
      metrics.clientRequest(ctx.state.client?.clientId, endpoint, outcome);
    },
  });
}

function render(ctx: Ctx, error: OAuthError): void {
  sendJson(ctx, error.body(), error.status);
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  if (error instanceof InvalidClient && ctx.state.authMethod === "client_secret_basic")
    ctx.set("WWW-Authenticate", `Basic realm="${BASIC_REALM}"`);
}

/** Only grant types this server knows become label values, so label cardinality stays bounded. */
function grantLabel(ctx: Ctx): string {
  return ctx.state.grantType ?? "";
}

function clientIdHint(ctx: Ctx): string | undefined {
  const id = ctx.state.claimedClientId ?? ctx.state.params.get("client_id")?.[0];
  return id && id.length <= 200 ? id : undefined;
}
