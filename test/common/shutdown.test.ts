// common/shutdown.ts: every step shares one deadline; a hung step cannot hold the exit.

import assert from "node:assert/strict";
import { test } from "node:test";
import { runShutdown, type ShutdownStep } from "../../common/shutdown.ts";
import { testLogger } from "../harness/log-capture.ts";

const log = testLogger("shutdown", { level: "error" });
const hangs: ShutdownStep = { name: "hangs", run: () => new Promise<void>(() => {}) };
const ran: string[] = [];
const quick = (name: string): ShutdownStep => ({
  name,
  run: async () => {
    ran.push(name);
  },
});

const cases: { name: string; steps: ShutdownStep[]; code: number; ran: string[] }[] = [
  { name: "every step finishes: exit 0, in order", steps: [quick("a"), quick("b")], code: 0, ran: ["a", "b"] },
  {
    name: "a hung step: exit 1 at the deadline, later steps skipped",
    steps: [quick("a"), hangs, quick("c")],
    code: 1,
    ran: ["a"],
  },
  {
    name: "a failing step: the rest still run, exit 1",
    steps: [{ name: "fails", run: () => Promise.reject(new Error("boom")) }, quick("b")],
    code: 1,
    ran: ["b"],
  },
];

for (const c of cases)
  test(c.name, async () => {
    ran.length = 0;
    const code = await runShutdown({ log, timeoutMs: 200, steps: c.steps });
    assert.equal(code, c.code);
    assert.deepEqual(ran, c.ran);
  });
