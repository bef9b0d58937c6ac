// The Argo CD health check (integrations/argocd/health.lua) run by Debian's Lua 5.1, the
// language version of gopher-lua, in which Argo CD runs it: on every recorded OAuthClient
// (states.ts), as Argo CD calls it (the object as the global `obj`, the script as the body
// of a function returning {status, message}), and as docs/gitops.md tells people to install
// it (the argocd-cm snippet holds this very script).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { readRecorded, STATES } from "./states.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const SCRIPT = readFileSync(join(ROOT, "integrations", "argocd", "health.lua"), "utf8");
const LUA = "/usr/bin/lua5.1";

/** A JSON value as a Lua 5.1 table constructor (strings byte by byte, so any text survives). */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (typeof value === "string")
    return `"${[...Buffer.from(value, "utf8")].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`)).join("")}"`;
  if (Array.isArray(value)) return `{${value.map(toLua).join(", ")}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${toLua(k)}] = ${toLua(v)}`)
    .join(", ")}}`;
}

async function health(resource: unknown): Promise<{ status: string; message: string }> {
  assert.ok(existsSync(LUA), `${LUA} is missing: apt-get install lua5.1 (test/prerequisites.ts lists it)`);
  const program = `obj = ${toLua(resource)}\nlocal hs = (function()\n${SCRIPT}\nend)()\nio.write(hs.status, "\\n", hs.message or "")\n`;
  const running = run(LUA, ["-"]);
  running.child.stdin?.end(program);
  const { stdout } = await running.catch((error: { stderr?: string }) => {
    throw new Error(`lua failed: ${error.stderr ?? error}`);
  });
  const [status = "", ...message] = stdout.split("\n");
  return { status, message: message.join("\n") };
}

for (const state of STATES)
  test(`${state.name} (${state.what}): ${state.argo.status}`, async () => {
    const result = await health(readRecorded(state.name));
    assert.equal(result.status, state.argo.status, result.message);
    assert.match(result.message, state.argo.message);
  });

test("a client being deleted is Progressing, whatever its conditions say", async () => {
  const ready = readRecorded("ready");
  ready.metadata.deletionTimestamp = "2026-12-01T00:00:00Z";
  assert.deepEqual(await health(ready), {
    status: "Progressing",
    message: "Being deleted: the operator removes the client from the registry, then its finalizer",
  });
});

test("a spec edited since the operator last wrote status is Progressing, even if it was Ready", async () => {
  const ready = readRecorded("ready");
  ready.metadata.generation = 2;
  assert.deepEqual(await health(ready), {
    status: "Progressing",
    message: "Waiting for the Tollgate operator to observe generation 2",
  });
});

test("an object without any status (a CRD without the status default) is Progressing, not Healthy", async () => {
  const applied = readRecorded("applied");
  delete applied.status;
  assert.equal((await health(applied)).status, "Progressing");
});

test("docs/gitops.md's argocd-cm snippet carries this script, line for line", () => {
  const doc = readFileSync(join(ROOT, "docs", "gitops.md"), "utf8");
  const block = /resource\.customizations\.health\.tollgate\.dev_OAuthClient: \|\n((?: {4}.*\n|\n)+)/.exec(doc);
  assert.ok(block?.[1], "no resource.customizations.health.tollgate.dev_OAuthClient block in docs/gitops.md");
  const embedded = block[1]
    .split("\n")
    .map((line) => line.replace(/^ {4}/, ""))
    .join("\n")
    .trim();
  assert.equal(embedded, SCRIPT.trim());
});
