// docs/reference/ is what the CRDs' schemas generate, and the generator covers every field.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { currentPages, REFERENCE_DIR, referenceRows } from "./reference-docs.ts";

test("docs/reference/ holds exactly the pages crds/ generates, up to date", () => {
  const pages = currentPages();
  const onDisk = readdirSync(REFERENCE_DIR).map((f) => `${REFERENCE_DIR}/${f}`);
  assert.deepEqual(onDisk.sort(), [...pages.keys()].sort(), "run `node test/crd/reference-docs.ts`");
  for (const [path, markdown] of pages)
    assert.equal(readFileSync(path, "utf8"), markdown, `${path} is stale: run \`node test/crd/reference-docs.ts\``);
});

test("the generator: nested objects and lists of objects, required, defaults, constraints, rules where they sit", () => {
  const { fields, rules } = referenceRows({
    type: "object",
    properties: {
      apiVersion: { type: "string" },
      metadata: { type: "object" },
      spec: {
        type: "object",
        required: ["name"],
        "x-kubernetes-validations": [{ rule: "self.name != 'x'", message: "not x" }],
        properties: {
          name: { type: "string", maxLength: 8, description: "The\n  name." },
          mode: { type: "string", enum: ["a", "b"], default: "a" },
          items: {
            type: "array",
            maxItems: 2,
            items: {
              type: "object",
              required: ["id"],
              "x-kubernetes-validations": [{ rule: "size(self.id) > 1", message: "long id" }],
              properties: { id: { type: "string" } },
            },
          },
          labels: { type: "object", additionalProperties: { type: "string" } },
        },
      },
    },
  });
  assert.deepEqual(
    fields.map((f) => [f.path, f.type, f.required, f.default, f.constraints.join("; "), f.description]),
    [
      ["spec", "object", false, undefined, "", ""],
      ["spec.name", "string", true, undefined, "≤ 8 characters", "The name."],
      ["spec.mode", "string", false, "a", "one of `a`, `b`", ""],
      ["spec.items", "list of object", false, undefined, "≤ 2 items", ""],
      ["spec.items[].id", "string", true, undefined, "", ""],
      ["spec.labels", "map of string", false, undefined, "", ""],
    ],
  );
  assert.deepEqual(rules, [
    { path: "spec", rule: "self.name != 'x'", message: "not x" },
    { path: "spec.items[]", rule: "size(self.id) > 1", message: "long id" },
  ]);
});
