// Tracing as the components use it: a span per token request and per reconcile, with
// children for the steps inside. Off unless the standard OpenTelemetry variables name an
// OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
// then the OpenTelemetry SDK is loaded by dynamic import (otel-tracing.ts), so a
// process that does not trace never loads it. Off, every call is a no-op on one object.
import { AsyncLocalStorage } from "node:async_hooks";
import type { SpanHandle, Tracing } from "./tracing-types.ts";

export type { SpanHandle, Tracing } from "./tracing-types.ts";

const NO_SPAN: SpanHandle = {
  setAttributes() {},
  fail() {},
  child: () => NO_SPAN,
  end() {},
};

export const NO_TRACING: Tracing = {
  enabled: false,
  start: () => NO_SPAN,
  shutdown: async () => {},
};

/** Whether the environment asks for traces, by the OpenTelemetry SDK's own variables. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === "true") return false;
  if ((env.OTEL_TRACES_EXPORTER ?? "otlp").split(",").every((e) => e.trim() === "none")) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** Tracing for `serviceName` (OTEL_SERVICE_NAME wins) when requested, else NO_TRACING. */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingRequested(env)) return NO_TRACING;
  const { otelTracing } = await import("./otel-tracing.ts");
  return otelTracing(env.OTEL_SERVICE_NAME || serviceName, env);
}

const current = new AsyncLocalStorage<SpanHandle>();

/** Runs `work` with `span` as the current span of everything it awaits (see currentSpan). */
export function runInSpan<T>(span: SpanHandle, work: () => T): T {
  return current.run(span, work);
}

/** The span of the work this call is part of, if any. */
export function currentSpan(): SpanHandle | undefined {
  return current.getStore();
}

/**
 * `target` with the named async methods each traced as a child span of the current span
 * ("<prefix> <method>"); everything else passes through. For the calls a reconcile makes
 * to Redis, without the reconcile code knowing of tracing.
 */
export function tracedMethods<T extends object>(target: T, prefix: string, methods: readonly string[]): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== "function") return value;
      if (!methods.includes(String(property))) return value.bind(object);
      return async (...args: unknown[]) => {
        const span = currentSpan()?.child(`${prefix} ${String(property)}`);
        try {
          return await value.apply(object, args);
        } catch (error) {
          span?.fail((error as Error).message);
          throw error;
        } finally {
          span?.end();
        }
      };
    },
  });
}
