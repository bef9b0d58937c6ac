// The image bundles common/kubernetes-client.ts with just the names it re-exports
// (package.json "build:image"); a runtime module importing a value from
// @kubernetes/client-node directly would load the whole library again in the image.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..", "..");
// What tsconfig.image.json compiles into the image (the kubectl plugin runs from a checkout).
const RUNTIME = ["api", "common", "registry", "operator", "token-server", "registrar", "bin"];
const FACADE = join("common", "kubernetes-client.ts");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join("bin", "kubectl-plugin") ? [] : sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The import and export statements naming @kubernetes/client-node that bring in values, not only types. */
function valueImportsOfClientNode(source: string): string[] {
  const statements = source.match(/^(?:import|export)\b[^;]*?from\s+["']@kubernetes\/client-node["']/gms) ?? [];
  return statements.filter((statement) => {
    if (/^(?:import|export)\s+type\b/.test(statement)) return false;
    const names = /\{([^}]*)\}/s.exec(statement)?.[1];
    // `import { type A, type B }` brings no value either.
    return names === undefined || names.split(",").some((n) => n.trim() !== "" && !/^type\s/.test(n.trim()));
  });
}

test("the statement check: type-only imports pass, value imports do not", () => {
  const cases: [string, number][] = [
    ['import type { V1Secret } from "@kubernetes/client-node";', 0],
    ['import { type KubeConfig, type V1Lease } from "@kubernetes/client-node";', 0],
    ['import { KubeConfig } from "@kubernetes/client-node";', 1],
    ['import { type V1Secret, Watch } from "@kubernetes/client-node";', 1],
    ['import * as k8s from "@kubernetes/client-node";', 1],
    ['export { Watch } from "@kubernetes/client-node";', 1],
    ['import { Watch } from "../common/kubernetes-client.ts";', 0],
  ];
  for (const [source, count] of cases) assert.equal(valueImportsOfClientNode(source).length, count, source);
});

test("runtime modules take @kubernetes/client-node's values only through common/kubernetes-client.ts", () => {
  const offenders = RUNTIME.flatMap(sources)
    .filter((file) => file !== FACADE)
    .filter((file) => valueImportsOfClientNode(readFileSync(join(ROOT, file), "utf8")).length > 0)
    .map((file) => relative(ROOT, join(ROOT, file)));
  assert.deepEqual(offenders, []);
});
