// The registrar's HTTP surface: RFC 7591 POST /register and RFC 7592 GET/PUT/DELETE
// /register/NAMESPACE/NAME, each a bearer-token request with a JSON body, plus /healthz.
import { Router } from "@koa/router";
import Koa from "koa";
import type { Logger } from "../common/logger.ts";
import { invalidRequest, invalidToken, RegistrationError } from "./errors.ts";
import type { Registrar, RegistrationResponse } from "./registrar.ts";

const MAX_BODY_BYTES = 64 * 1024;

export function registrarApp(registrar: Registrar, log: Logger, basePath = "/register"): Koa {
  const app = new Koa();
  const router = new Router();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const known = error instanceof RegistrationError;
      const e = known ? error : new RegistrationError(500, "server_error", "the registration failed");
      if (!known) log.error("registration request failed", { err: error, method: ctx.method, path: ctx.path });
      else log.info("registration request refused", { status: e.status, error: e.error, path: ctx.path });
      if (e.bearerChallenge) ctx.set("WWW-Authenticate", `Bearer error="${e.error}"`);
      send(ctx, { status: e.status, body: { error: e.error, error_description: e.description } });
    }
  });
  router.get("/healthz", (ctx) => {
    ctx.body = "ok";
  });
  router.post(basePath, async (ctx) => {
    const namespace = typeof ctx.query.namespace === "string" ? ctx.query.namespace : undefined;
    send(ctx, await registrar.register(bearer(ctx), namespace, await jsonBody(ctx)));
  });
  const one = `${basePath}/:namespace/:name`;
  router.get(one, async (ctx) =>
    send(ctx, await registrar.read(ctx.params.namespace ?? "", ctx.params.name ?? "", bearer(ctx))),
  );
  router.put(one, async (ctx) => {
    const token = bearer(ctx);
    send(ctx, await registrar.update(ctx.params.namespace ?? "", ctx.params.name ?? "", token, await jsonBody(ctx)));
  });
  router.delete(one, async (ctx) =>
    send(ctx, await registrar.remove(ctx.params.namespace ?? "", ctx.params.name ?? "", bearer(ctx))),
  );
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}

function send(ctx: Koa.Context, response: RegistrationResponse): void {
  ctx.status = response.status;
  ctx.set("Cache-Control", "no-store");
  ctx.set("X-Content-Type-Options", "nosniff");
  if (response.status === 204) return;
  ctx.type = "application/json";
  ctx.body = JSON.stringify(response.body);
}

function bearer(ctx: Koa.Context): string {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/.exec(ctx.get("Authorization"));
  if (!match?.[1]) throw invalidToken("a bearer token is required (RFC 6750 section 2.1)");
  return match[1];
}

async function jsonBody(ctx: Koa.Context): Promise<unknown> {
  if (!ctx.is("application/json")) throw invalidRequest("the body must be application/json (RFC 7591 section 3.1)");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw invalidRequest("the request body is too large");
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw invalidRequest("the body is not valid JSON");
  }
}
