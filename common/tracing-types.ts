// The tracing interface both components code against (common/tracing.ts), apart from
// its implementations so the OpenTelemetry one (otel-tracing.ts) imports no code back.

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanHandle {
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed (status ERROR) with a message for the trace viewer. */
  fail(message: string): void;
  /** A child span of this one. */
  child(name: string, attributes?: SpanAttributes): SpanHandle;
  end(): void;
}

export interface SpanOptions {
  /** "server" for a request this process answers; default "internal". */
  kind?: "server" | "internal";
  /** Incoming request headers: a W3C `traceparent` makes the span a child of the caller's. */
  headers?: Record<string, string | string[] | undefined>;
  attributes?: SpanAttributes;
}

export interface Tracing {
  readonly enabled: boolean;
  start(name: string, options?: SpanOptions): SpanHandle;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}
