// The script the benchmarks start for a component, as the image runs it: the image compiles
// the sources to JavaScript (Dockerfile stage `build`: `npm run build:image`) rather than letting
// Node strip types at start, and the two differ in memory (README "Measured figures"). So the
// benchmarks compile the same way, once per run, into .tollgate/bench-build/, beside the files
// the image also carries (the pages' stylesheet, crds/, examples/) and links to package.json and
// node_modules. TOLLGATE_BENCH_SOURCES=ts runs the .ts sources instead, to measure the difference.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const OUT = join(ROOT, ".tollgate", "bench-build");
let built = false;

/** The path to start for `source` (relative to the repository, e.g. "token-server/main.ts"). */
export function shippedScript(source: string): string {
  if (process.env.TOLLGATE_BENCH_SOURCES === "ts") return join(ROOT, source);
  if (!built) {
    rmSync(OUT, { recursive: true, force: true });
    // The image's build (package.json "build:image"), into OUT.
    execFileSync("npm", ["run", "-s", "build:image"], {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, TOLLGATE_BUILD_DIR: OUT },
    });
    mkdirSync(join(OUT, "token-server", "pages"), { recursive: true });
    cpSync(join(ROOT, "token-server", "pages", "tollgate.css"), join(OUT, "token-server", "pages", "tollgate.css"));
    for (const shared of ["package.json", "node_modules", "crds", "examples"])
      symlinkSync(join(ROOT, shared), join(OUT, shared));
    built = true;
  }
  return join(OUT, source.replace(/\.ts$/, ".js"));
}
