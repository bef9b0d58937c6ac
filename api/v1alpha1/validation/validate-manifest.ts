// Validation of an OAuthClient manifest as kube-apiserver does it on create, for the
// places that take manifests without an API server (the token server's standalone
// mode): the CRD's own OpenAPI schema (with its defaults applied first, as the API
// server applies them) checked by Ajv, then every x-kubernetes-validations rule that is
// not a transition rule (those compare with oldSelf, which a create does not have)
// evaluated by a CEL library (@bufbuild/cel, its strings extension for trim(), and the
// Kubernetes URL functions in kubernetes-url.ts). Nothing here restates a rule: the
// CRD is read as it is installed. test/unit/api/standalone-validation.test.ts holds it
// to the same cases the real API server is held to (test/crd/validation-cases.ts).
//
// Like the API server: list-type set and map items must be unique; enum, type and
// format errors stop the CEL rules (one extra cause says so); a rule's failure is
// reported at its node's path plus its fieldPath; and unknown fields are refused, as
// kubectl's strict field validation refuses them.
import { type CelInput, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { kubernetesUrlFunctions } from "./kubernetes-url.ts";

/** One reason a manifest is refused: the field as the API server names it, and its message. */
export interface Cause {
  field: string;
  message: string;
}

type Json = Record<string, unknown>;

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  default?: unknown;
  "x-kubernetes-validations"?: { rule: string; message?: string; messageExpression?: string; fieldPath?: string }[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  [keyword: string]: unknown;
}

export const CEL_SKIPPED_MESSAGE =
  "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class ManifestValidator {
  readonly #schema: Schema;
  readonly #validate: ValidateFunction;
  readonly #env = celEnv({ funcs: [...strings, ...kubernetesUrlFunctions] });
  readonly #programs = new Map<string, ReturnType<typeof plan>>();

  /** From the CRD's YAML text; the first served version's schema. */
  constructor(crdYaml: string) {
    const [doc] = parseAllDocuments(crdYaml);
    const crd = doc?.toJS() as { spec?: { versions?: { served?: boolean; schema?: { openAPIV3Schema?: Schema } }[] } };
    const schema = crd?.spec?.versions?.find((v) => v.served)?.schema?.openAPIV3Schema;
    if (!schema) throw new Error("the CRD has no served version with an openAPIV3Schema");
    this.#schema = schema;
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    ajv.addFormat("date-time", (value: string) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));
    ajv.addFormat("int64", true);
    this.#validate = ajv.compile(strictObjects(structuredClone(schema)));
  }

  /** The causes the API server would report for creating `manifest` (empty: it is valid). Applies the defaults to it. */
  validate(manifest: Json): Cause[] {
    const causes: Cause[] = [];
    if (!this.#validate(manifest)) causes.push(...(this.#validate.errors ?? []).map((e) => schemaCause(e, manifest)));
    causes.push(...uniqueness(this.#schema, manifest, ""));
    const blocking = (this.#validate.errors ?? []).some((e) => ["enum", "type", "format"].includes(e.keyword));
    if (blocking) causes.push({ field: "<nil>", message: CEL_SKIPPED_MESSAGE });
    else this.#rules(this.#schema, manifest, "", causes);
    return causes;
  }

  #rules(schema: Schema, value: unknown, path: string, causes: Cause[]): void {
    if (value === undefined) return;
    for (const rule of schema["x-kubernetes-validations"] ?? []) {
      if (/\boldSelf\b/.test(rule.rule)) continue; // a transition rule: updates only
      const result = this.#run(rule.rule, value);
      if (result === true) continue;
      const field = `${path}${rule.fieldPath ?? ""}`.replace(/^\./, "") || "<nil>";
      const detail = isCelError(result) ? `rule evaluation error: ${result.message}` : undefined;
      let message = rule.message ?? `failed rule: ${rule.rule}`;
      if (rule.messageExpression) {
        const computed = this.#run(rule.messageExpression, value);
        if (typeof computed === "string") message = computed;
      }
      causes.push({ field, message: `Invalid value: ${describe(value)}: ${detail ?? message}` });
    }
    if (Array.isArray(value) && schema.items) {
      for (const [i, item] of value.entries()) this.#rules(schema.items, item, `${path}[${i}]`, causes);
    } else if (value && typeof value === "object") {
      for (const [key, child] of Object.entries(value as Json)) {
        const property = schema.properties?.[key];
        if (property) this.#rules(property, child, `${path}.${key}`, causes);
        else if (typeof schema.additionalProperties === "object")
          this.#rules(schema.additionalProperties, child, `${path}[${key}]`, causes);
      }
    }
  }

  #run(expression: string, self: unknown): unknown {
    let program = this.#programs.get(expression);
    if (!program) {
      program = plan(this.#env, parse(expression));
      this.#programs.set(expression, program);
    }
    return program({ self: toCel(self) });
  }
}

/** Structural schemas refuse what they do not declare (kubectl's strict field validation). */
function strictObjects(schema: Schema): Schema {
  if (schema.properties && schema.additionalProperties === undefined && !schema["x-kubernetes-preserve-unknown-fields"])
    schema.additionalProperties = false;
  for (const child of Object.values(schema.properties ?? {})) strictObjects(child);
  if (typeof schema.additionalProperties === "object") strictObjects(schema.additionalProperties);
  if (schema.items) strictObjects(schema.items);
  return schema;
}

/** Ajv's error as the API server words it, at the API server's field path. */
function schemaCause(error: ErrorObject, manifest: Json): Cause {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out ? `${out}.${part}` : part), "");
  const value = error.instancePath
    .split("/")
    .slice(1)
    .reduce<unknown>(
      (node, part) => (node as Json | undefined)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")],
      manifest,
    );
  const at = (suffix: string) => (path ? `${path}.${suffix}` : suffix);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { field: at(String(params.missingProperty)), message: "Required value" };
    case "additionalProperties":
      return { field: at(String(params.additionalProperty)), message: `unknown field "${params.additionalProperty}"` };
    case "enum":
      return {
        field: path,
        message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      };
    case "type":
      return {
        field: path,
        message: `Invalid value: ${describe(value)}: ${path} in body must be of type ${params.type}`,
      };
    case "format":
      return {
        field: path,
        message: `Invalid value: ${JSON.stringify(value)}: ${path} in body must be of type ${params.format}: ${JSON.stringify(value)}`,
      };
    case "minItems":
      return { field: path, message: `${path} in body should have at least ${params.limit} items` };
    case "maxItems":
      return { field: path, message: `Too many: must have at most ${params.limit} items` };
    case "minLength":
      return { field: path, message: `${path} in body should be at least ${params.limit} chars long` };
    case "maxLength":
      return { field: path, message: `Too long: may not be more than ${params.limit} bytes` };
    case "pattern":
      return { field: path, message: `${path} in body should match '${params.pattern}'` };
    default:
      return { field: path, message: `Invalid value: ${describe(value)}: ${error.message ?? error.keyword}` };
  }
}

/** Duplicate items of list-type set and map lists, reported as the API server reports them. */
function uniqueness(schema: Schema, value: unknown, path: string): Cause[] {
  const causes: Cause[] = [];
  if (Array.isArray(value)) {
    const listType = schema["x-kubernetes-list-type"];
    const keys = schema["x-kubernetes-list-map-keys"] ?? [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const identity =
        listType === "set"
          ? JSON.stringify(item)
          : listType === "map"
            ? JSON.stringify(keys.map((k) => (item as Json)?.[k]))
            : undefined;
      if (identity === undefined) return;
      if (seen.has(identity))
        causes.push({
          field: `${path}[${i}]`,
          message:
            listType === "set"
              ? `Duplicate value: ${JSON.stringify(item)}`
              : `Duplicate value: ${JSON.stringify(Object.fromEntries(keys.map((k) => [k, (item as Json)?.[k]])))}`,
        });
      seen.add(identity);
    });
    if (schema.items)
      for (const [i, item] of value.entries()) causes.push(...uniqueness(schema.items, item, `${path}[${i}]`));
  } else if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value as Json)) {
      const property = schema.properties?.[key];
      if (property) causes.push(...uniqueness(property, child, path ? `${path}.${key}` : key));
    }
  }
  return causes;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return '"array"';
  if (value && typeof value === "object") return '"object"';
  return String(value);
}

/** JSON as CEL sees it: objects are maps, whole numbers are ints. */
function toCel(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === "object")
    return new Map(Object.entries(value as Json).map(([k, v]) => [k, toCel(v)])) as CelInput;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}
