// Run by `npm test` after the whole suite: every log line the suite produced
// (harness/log-capture.ts keeps them in $TOLLGATE_TEST_LOG_DIR) is searched for every
// credential the suite used. Exits non-zero naming file and line of each leak, and
// when the capture is missing or too small to mean anything.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { CREDENTIALS_FILE, LOG_CAPTURE_ENV } from "../harness/log-capture.ts";
import { findLeaks } from "./leaks.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const dir = process.env[LOG_CAPTURE_ENV];
if (!dir) {
  console.error(`log-leak: ${LOG_CAPTURE_ENV} is not set; run through \`npm test\``);
  process.exit(2);
}
const credentials = [
  ...new Set(
    readFileSync(join(dir, CREDENTIALS_FILE), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string),
  ),
];
const logs = filesUnder(dir).filter((path) => !path.endsWith(CREDENTIALS_FILE));
const lines = logs.reduce((sum, path) => sum + readFileSync(path, "utf8").split("\n").length, 0);
const covers = (name: RegExp) => logs.some((path) => name.test(path));
// A capture without the components' own logs would make this check pass vacuously.
const required = { operator: /operator/, "token server": /token-server/, "pod logs": /pod-logs/ };
const missing = Object.entries(required).flatMap(([what, name]) => (covers(name) ? [] : [what]));
if (missing.length > 0 || credentials.length === 0) {
  console.error(
    `log-leak: the capture lacks ${[...missing, ...(credentials.length ? [] : ["credentials"])].join(", ")}`,
  );
  process.exit(1);
}
const leaks = logs.flatMap((path) => findLeaks(relative(dir, path), readFileSync(path, "utf8"), credentials));
for (const leak of leaks) console.error(`LEAK ${leak.file}:${leak.line}: ${leak.kind} (${leak.hint})`);
console.log(
  `log-leak: ${logs.length} log files, ${lines} lines, ${credentials.length} noted credentials and 7 credential shapes: ${leaks.length} leaks`,
);
process.exit(leaks.length === 0 ? 0 : 1);
