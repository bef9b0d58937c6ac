// The OpenTelemetry SDK behind common/tracing.ts, imported only when tracing is on.
// Spans go to the OTLP/HTTP exporter, which reads the standard OTEL_EXPORTER_OTLP_*
// variables (endpoint, headers, timeout); OTEL_TRACES_SAMPLER and _ARG pick the sampler
// (default parentbased_always_on: a caller's sampling decision is followed).
import { defaultTextMapGetter, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { SpanAttributes, SpanHandle, SpanOptions, Tracing } from "./tracing-types.ts";

export function otelTracing(serviceName: string, env: NodeJS.ProcessEnv): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    sampler: sampler(env.OTEL_TRACES_SAMPLER, env.OTEL_TRACES_SAMPLER_ARG),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  const tracer = provider.getTracer("tollgate");
  const propagator = new W3CTraceContextPropagator();
  const handle = (span: Span): SpanHandle => ({
    setAttributes: (attributes) => span.setAttributes(defined(attributes)),
    fail: (message) => span.setStatus({ code: SpanStatusCode.ERROR, message }),
    child: (name, attributes = {}) =>
      handle(tracer.startSpan(name, { attributes: defined(attributes) }, trace.setSpan(ROOT_CONTEXT, span))),
    end: () => span.end(),
  });
  return {
    enabled: true,
    start(name: string, options: SpanOptions = {}) {
      const parent = options.headers
        ? propagator.extract(ROOT_CONTEXT, options.headers, defaultTextMapGetter)
        : ROOT_CONTEXT;
      const kind = options.kind === "server" ? SpanKind.SERVER : SpanKind.INTERNAL;
      return handle(tracer.startSpan(name, { kind, attributes: defined(options.attributes ?? {}) }, parent));
    },
    shutdown: () => provider.shutdown(),
  };
}

function defined(attributes: SpanAttributes): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean
  >;
}

function sampler(name = "parentbased_always_on", arg = "1"): Sampler {
  const ratio = Math.min(1, Math.max(0, Number(arg) || 0));
  const alwaysOn = new AlwaysOnSampler();
  const root: Record<string, Sampler> = {
    always_on: alwaysOn,
    always_off: new AlwaysOffSampler(),
    traceidratio: new TraceIdRatioBasedSampler(ratio),
  };
  if (name.startsWith("parentbased_")) return new ParentBasedSampler({ root: root[name.slice(12)] ?? alwaysOn });
  return root[name] ?? new ParentBasedSampler({ root: alwaysOn });
}
