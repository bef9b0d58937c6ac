// Every value the components take from @kubernetes/client-node, in one module. The
// library's entry point imports all ~1,000 of its generated API and model modules, and
// loading them whole holds about 130 MiB (README "Measured figures"), most of it the
// source of APIs the operator never calls. The image therefore builds this module
// alone as a bundle of just these names (esbuild, tree-shaken: `npm run build:image`),
// and every runtime module imports the library's values from here (a unit test checks
// it). Types may still come from the library itself: they are erased at build time.
export {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  Watch,
} from "@kubernetes/client-node";
