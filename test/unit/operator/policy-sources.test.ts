// Which clients a Namespace event asks the operator to re-check: the namespace's own,
// when it appears, goes, or its labels (which select policies and switch the subject
// confinement) change; not when only its status or annotations do.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Namespace } from "@kubernetes/client-node";
import { namespacesToRecheck } from "../../../operator/controllers/policy-sources.ts";

const ns = (labels?: Record<string, string>, annotations?: Record<string, string>): V1Namespace => ({
  metadata: { name: "team-a", ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
});

test("namespace events that re-check its clients", () => {
  const table: [string, Parameters<typeof namespacesToRecheck>, string[]][] = [
    ["added", ["add", ns({ a: "1" })], ["team-a"]],
    ["deleted", ["delete", ns({ a: "1" })], ["team-a"]],
    ["a label added", ["update", ns({ a: "1", b: "2" }), ns({ a: "1" })], ["team-a"]],
    ["a label's value changed", ["update", ns({ a: "2" }), ns({ a: "1" })], ["team-a"]],
    ["a label removed", ["update", ns({}), ns({ a: "1" })], ["team-a"]],
    ["labels unchanged, annotations changed", ["update", ns({ a: "1" }, { x: "y" }), ns({ a: "1" })], []],
    ["no labels before or after", ["update", ns(), ns()], []],
  ];
  for (const [name, args, expected] of table) assert.deepEqual(namespacesToRecheck(...args), expected, name);
});
