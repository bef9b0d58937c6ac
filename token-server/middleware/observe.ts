// The outermost step of every endpoint: gives the request its server and endpoint
// name, renders OAuth errors as RFC 6749 §5.2 bodies, counts the outcome and times it.
import type { Ctx, Params, TokenServer } from "../context.ts";
import { InvalidClient, OAuthError, ServerError } from "../errors.ts";
import { sendJson } from "../respond.ts";

export const BASIC_REALM = "tollgate";
/** Until parseForm runs; never written to. */
const NO_PARAMS: Params = new Map();

export function observe(server: TokenServer, endpoint: string) {
  const { metrics, log } = server;
  const timer = metrics.duration.labels(endpoint);
  // Label children by grant type and outcome, both from small fixed sets: looked up
  // once, not hashed from a label object on every request.
  const counters = new Map<string, ReturnType<typeof metrics.requests.labels>>();
  const count = (grantType: string, outcome: string) => {
    const key = `${grantType} ${outcome}`;
    let counter = counters.get(key);
    if (!counter) {
      counter = metrics.requests.labels(endpoint, grantType, outcome);
      counters.set(key, counter);
    }
    counter.inc();
  };
  return async function observeRequest(ctx: Ctx, next: () => Promise<void>): Promise<void> {
    const started = performance.now();
    ctx.state.server = server;
    ctx.state.endpoint = endpoint;
    ctx.state.params = NO_PARAMS;
    let outcome = "ok";
    try {
      await next();
    } catch (caught) {
      const error = caught instanceof OAuthError ? caught : new ServerError((caught as Error)?.message);
      outcome = error.error;
      render(ctx, error);
      const fields = {
        endpoint,
        error: error.error,
        status: error.status,
        client_id: ctx.state.client?.clientId ?? clientIdHint(ctx),
        detail: error.detail ?? error.description,
      };
      if (error.status >= 500) log.error("request failed", { ...fields, stack: (caught as Error)?.stack });
      else log.info("request refused", fields);
    } finally {
      count(grantLabel(ctx), outcome);
      timer.observe((performance.now() - started) / 1000);
    }
  };
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
  const id = ctx.state.params.get("client_id")?.[0];
  return id && id.length <= 200 ? id : undefined;
}
