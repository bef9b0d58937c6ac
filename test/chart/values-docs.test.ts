// The chart's README is generated from values.yaml, and every value has a `# --` comment.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CHART_DIR } from "./render.ts";
import { currentReadme, README_PATH, valueDocs } from "./values-docs.ts";

test("every value in values.yaml has a `# --` comment", () => {
  const { undocumented } = valueDocs(readFileSync(`${CHART_DIR}/values.yaml`, "utf8"));
  assert.deepEqual(undocumented, [], "document these in values.yaml, then run `node test/chart/values-docs.ts`");
});

test("charts/tollgate/README.md is what values.yaml's comments generate", () => {
  assert.equal(readFileSync(README_PATH, "utf8"), currentReadme(), "run `node test/chart/values-docs.ts`");
});

test("the generator: documented keys as a whole, sections walked into, the rest reported", () => {
  const { docs, undocumented } = valueDocs(`# A header, not documentation.

# -- First.
first: 1
section:
  # -- Nested, documented as a whole.
  whole:
    a: { b: 1 }
  # Not a "--" comment.
  bare: x
  inner:
    plain: []
# -- Two lines,
# continued.
last: null
`);
  assert.deepEqual(docs, [
    { key: "first", type: "number", default: 1, description: "First." },
    { key: "section.whole", type: "object", default: { a: { b: 1 } }, description: "Nested, documented as a whole." },
    { key: "last", type: "null", default: null, description: "Two lines, continued." },
  ]);
  assert.deepEqual(undocumented, ["section.bare", "section.inner.plain"]);
});
