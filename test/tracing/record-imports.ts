// Preloaded with --import by the tracing tests: writes each OpenTelemetry module the
// process resolves to stderr, so a test can tell whether the SDK was loaded at all.
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.includes("/node_modules/@opentelemetry/")) process.stderr.write(`resolved ${resolved.url}\n`);
    return resolved;
  },
});
