// npm run bench: runs every benchmark file in bench/ (not main.ts, not lib/ or
// servers/), one after another, each in its own process with the same Node.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;
const files = readdirSync(here)
  .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts") && name !== "main.ts")
  .sort();
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== bench/${file} ===\n`);
  const result = spawnSync(process.execPath, [join(here, file)], { stdio: "inherit" });
  if (result.status !== 0) {
    failed += 1;
    process.stdout.write(`bench/${file} failed (exit ${result.status ?? result.signal})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
