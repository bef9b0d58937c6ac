// The field reference of every custom resource in crds/, generated from the CRD's own
// OpenAPI schema: one row per field (its path, type, default, constraints and
// description) and the resource's CEL rules with the message the API server answers.
// The schema is the contract the API server enforces, so the reference is written from
// it and never by hand.
//   node test/crd/reference-docs.ts          rewrites docs/reference/<plural>.md
// reference-docs.test.ts fails when a page is stale.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";

const ROOT = new URL("../../", import.meta.url).pathname;
const CRDS_DIR = `${ROOT}crds`;
export const REFERENCE_DIR = `${ROOT}docs/reference`;

interface Schema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  "x-kubernetes-validations"?: { rule: string; message?: string; messageExpression?: string }[];
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

interface Crd {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; shortNames?: string[] };
    versions: { name: string; storage?: boolean; schema: { openAPIV3Schema: Schema } }[];
  };
}

interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  default: unknown;
  constraints: string[];
  description: string;
}

interface RuleRow {
  path: string;
  rule: string;
  message: string;
}

function typeName(schema: Schema): string {
  if (schema["x-kubernetes-int-or-string"]) return "integer or string";
  if (schema.type === "array") return `list of ${schema.items ? typeName(schema.items) : "any"}`;
  if (schema.type === "object" && typeof schema.additionalProperties === "object")
    return `map of ${typeName(schema.additionalProperties)}`;
  return schema.format ? `${schema.type} (${schema.format})` : (schema.type ?? "any");
}

function constraintsOf(schema: Schema): string[] {
  const found: string[] = [];
  if (schema.enum) found.push(`one of ${schema.enum.map((v) => `\`${String(v)}\``).join(", ")}`);
  if (schema.pattern) found.push(`matches \`${schema.pattern}\``);
  if (schema.minLength !== undefined) found.push(`≥ ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) found.push(`≤ ${schema.maxLength} characters`);
  if (schema.minItems !== undefined) found.push(`≥ ${schema.minItems} items`);
  if (schema.maxItems !== undefined) found.push(`≤ ${schema.maxItems} items`);
  if (schema.minimum !== undefined) found.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) found.push(`≤ ${schema.maximum}`);
  const itemEnum = schema.type === "array" ? schema.items?.enum : undefined;
  if (itemEnum) found.push(`items one of ${itemEnum.map((v) => `\`${String(v)}\``).join(", ")}`);
  return found;
}

/** Every field under spec and status, depth first in schema order, and every CEL rule with where it sits. */
export function referenceRows(root: Schema): { fields: FieldRow[]; rules: RuleRow[] } {
  const fields: FieldRow[] = [];
  const rules: RuleRow[] = [];
  const walk = (schema: Schema, path: string, required: boolean) => {
    if (path)
      fields.push({
        path,
        type: typeName(schema),
        required,
        default: schema.default,
        constraints: constraintsOf(schema),
        description: (schema.description ?? "").replace(/\s+/g, " ").trim(),
      });
    for (const validation of schema["x-kubernetes-validations"] ?? [])
      rules.push({
        path: path || "(resource)",
        rule: validation.rule,
        message: validation.message ?? validation.messageExpression ?? "",
      });
    const children = schema.properties ?? schema.items?.properties;
    const childRequired = schema.required ?? schema.items?.required ?? [];
    const prefix = schema.type === "array" ? `${path}[]` : path;
    if (schema.type === "array" && schema.items?.["x-kubernetes-validations"])
      for (const validation of schema.items["x-kubernetes-validations"])
        rules.push({ path: `${path}[]`, rule: validation.rule, message: validation.message ?? "" });
    for (const [name, child] of Object.entries(children ?? {})) {
      // metadata and the type fields are the API server's; apiVersion/kind say nothing here.
      if (!path && (name === "apiVersion" || name === "kind" || name === "metadata")) continue;
      walk(child, prefix ? `${prefix}.${name}` : name, childRequired.includes(name));
    }
  };
  walk(root, "", false);
  return { fields, rules };
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
const code = (text: string) => `\`${text.replaceAll("`", "'")}\``;

/** The Markdown page of one CRD (its storage version). */
export function referencePage(crdYaml: string, sourcePath: string): { plural: string; markdown: string } {
  const crd = parse(crdYaml) as Crd;
  const { group, scope, names } = crd.spec;
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  if (!version) throw new Error(`${sourcePath}: no versions`);
  const root = version.schema.openAPIV3Schema;
  const { fields, rules } = referenceRows(root);
  const lines = [
    `# ${names.kind} (\`${group}/${version.name}\`)`,
    "",
    `<!-- Generated from ${sourcePath} by test/crd/reference-docs.ts; do not edit. -->`,
    "",
    (root.description ?? "").replace(/\s+/g, " ").trim(),
    "",
    `${scope} resource; plural \`${names.plural}\`${names.shortNames?.length ? `, short names ${names.shortNames.map((n) => `\`${n}\``).join(", ")}` : ""}.`,
    "",
    "## Fields",
    "",
    "| Field | Type | Required | Default | Constraints | Description |",
    "|---|---|---|---|---|---|",
    ...fields.map(
      (f) =>
        `| ${code(f.path)} | ${cell(f.type)} | ${f.required ? "yes" : ""} | ${f.default === undefined ? "" : code(JSON.stringify(f.default))} | ${cell(f.constraints.join("; "))} | ${cell(f.description)} |`,
    ),
    "",
    "## Validation rules",
    "",
    "Checked by the API server at admission (CEL, `x-kubernetes-validations`); the message is what `kubectl apply` prints.",
    "",
    "| Where | Rule | Message |",
    "|---|---|---|",
    ...rules.map((r) => `| ${code(r.path)} | ${code(cell(r.rule.replace(/\s+/g, " ").trim()))} | ${cell(r.message)} |`),
    "",
  ];
  return { plural: names.plural, markdown: lines.join("\n") };
}

/** The pages every CRD in crds/ generates, by file path under docs/reference/. */
export function currentPages(): Map<string, string> {
  const pages = new Map<string, string>();
  for (const file of readdirSync(CRDS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    const { plural, markdown } = referencePage(readFileSync(`${CRDS_DIR}/${file}`, "utf8"), `crds/${file}`);
    pages.set(`${REFERENCE_DIR}/${plural}.md`, markdown);
  }
  return pages;
}

if (import.meta.main) {
  for (const [path, markdown] of currentPages()) {
    writeFileSync(path, markdown);
    console.log(`wrote ${path.slice(ROOT.length)}`);
  }
}
