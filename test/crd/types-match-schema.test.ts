// The TypeScript types in api/v1alpha1/ and the CRDs' OpenAPI schemas describe the
// same resources (OAuthClient and OAuthClientPolicy). This reads both (the types with the TypeScript
// compiler's checker, the schema from crds/) into one shape and compares them field by
// field: names, required-ness, kind (string, number, boolean, list, object, map) and
// enum values, through spec and status. The operator and token server compile against
// the types; the API server enforces the schema; neither can gain or lose a field alone.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";
import { type Json, loadCrd, repoRoot } from "./kube.ts";

const CLIENT_TYPES_FILE = join(repoRoot, "api", "v1alpha1", "oauthclient.ts");
const POLICY_TYPES_FILE = join(repoRoot, "api", "v1alpha1", "oauthclientpolicy.ts");
const POLICY_CRD_FILE = join(repoRoot, "crds", "tollgate.dev_oauthclientpolicies.yaml");

/** Which exported types hold a resource's spec, status (if it has one) and whole object. */
interface ResourceTypes {
  file: string;
  spec: string;
  status?: string;
  root: string;
}
const CLIENT: ResourceTypes = {
  file: CLIENT_TYPES_FILE,
  spec: "OAuthClientSpec",
  status: "OAuthClientStatus",
  root: "OAuthClient",
};
const POLICY: ResourceTypes = { file: POLICY_TYPES_FILE, spec: "OAuthClientPolicySpec", root: "OAuthClientPolicy" };

interface Shapes {
  spec: Shape;
  status?: Shape;
  root: Shape;
}

type Shape =
  | { kind: "string"; enum?: string[] }
  | { kind: "number" }
  | { kind: "boolean" }
  | { kind: "list"; items: Shape }
  | { kind: "object"; fields: Map<string, { required: boolean; shape: Shape }> }
  | { kind: "map"; values: Shape }
  /** An object whose members are kept as written (x-kubernetes-preserve-unknown-fields / Record<string, unknown>). */
  | { kind: "open" }
  | { kind: "unsupported"; text: string };

// ---- the TypeScript side ----

function typesShapes(resource: ResourceTypes, sourceText?: string): Shapes {
  const TYPES_FILE = resource.file;
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    types: [],
    // The types files need only Array and Record; the smallest lib keeps each compile fast.
    lib: ["lib.es5.d.ts"],
  };
  const host = ts.createCompilerHost(options);
  if (sourceText !== undefined) {
    const original = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, language, ...rest) =>
      fileName === TYPES_FILE
        ? ts.createSourceFile(fileName, sourceText, language)
        : original(fileName, language, ...rest);
  }
  const program = ts.createProgram([TYPES_FILE], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  assert.equal(diagnostics.length, 0, ts.formatDiagnostics(diagnostics, host));
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(TYPES_FILE);
  assert.ok(source);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  assert.ok(moduleSymbol);
  const exported = (name: string): ts.Type => {
    const symbol = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
    assert.ok(symbol, `${name} is not exported from ${TYPES_FILE}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };

  const shapeOf = (type: ts.Type, depth = 0): Shape => {
    if (depth > 20) return { kind: "unsupported", text: "recursion" };
    if (type.isUnion()) {
      const parts = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
      if (parts.length > 0 && parts.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { kind: "boolean" };
      if (parts.length > 0 && parts.every((t) => t.isStringLiteral()))
        return { kind: "string", enum: parts.map((t) => (t as ts.StringLiteralType).value).sort() };
      if (parts.length === 1 && parts[0]) return shapeOf(parts[0], depth);
      return { kind: "unsupported", text: checker.typeToString(type) };
    }
    if (type.isStringLiteral()) return { kind: "string", enum: [type.value] };
    if (type.flags & ts.TypeFlags.String) return { kind: "string" };
    if (type.flags & ts.TypeFlags.Number) return { kind: "number" };
    if (type.flags & ts.TypeFlags.Boolean) return { kind: "boolean" };
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      assert.ok(element);
      return { kind: "list", items: shapeOf(element, depth + 1) };
    }
    if (type.flags & ts.TypeFlags.Object) {
      const properties = checker.getPropertiesOfType(type);
      const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
      if (properties.length === 0 && index) {
        return index.type.flags & ts.TypeFlags.Unknown
          ? { kind: "open" }
          : { kind: "map", values: shapeOf(index.type, depth + 1) };
      }
      const fields = new Map<string, { required: boolean; shape: Shape }>();
      for (const property of properties) {
        fields.set(property.name, {
          required: !(property.flags & ts.SymbolFlags.Optional),
          shape: shapeOf(checker.getTypeOfSymbol(property), depth + 1),
        });
      }
      return { kind: "object", fields };
    }
    return { kind: "unsupported", text: checker.typeToString(type) };
  };

  return {
    spec: shapeOf(exported(resource.spec)),
    ...(resource.status ? { status: shapeOf(exported(resource.status)) } : {}),
    root: shapeOf(exported(resource.root)),
  };
}

// ---- the schema side ----

function schemaShape(node: Json): Shape {
  if (node["x-kubernetes-preserve-unknown-fields"] === true) return { kind: "open" };
  switch (node.type) {
    case "string":
      return Array.isArray(node.enum)
        ? { kind: "string", enum: (node.enum as string[]).slice().sort() }
        : { kind: "string" };
    case "integer":
    case "number":
      return { kind: "number" };
    case "boolean":
      return { kind: "boolean" };
    case "array":
      return { kind: "list", items: schemaShape(node.items as Json) };
    case "object": {
      if (node.additionalProperties && typeof node.additionalProperties === "object")
        return { kind: "map", values: schemaShape(node.additionalProperties as Json) };
      const required = new Set((node.required as string[] | undefined) ?? []);
      const fields = new Map<string, { required: boolean; shape: Shape }>();
      for (const [name, child] of Object.entries((node.properties as Record<string, Json> | undefined) ?? {}))
        fields.set(name, { required: required.has(name), shape: schemaShape(child) });
      return { kind: "object", fields };
    }
    default:
      return { kind: "unsupported", text: JSON.stringify(node.type) };
  }
}

function schemaShapes(crd: Json): Shapes {
  const versions = (crd.spec as { versions: { schema: { openAPIV3Schema: Json } }[] }).versions;
  const [version] = versions;
  assert.ok(version);
  const schema = version.schema.openAPIV3Schema;
  const properties = schema.properties as Record<string, Json>;
  assert.ok(properties.spec);
  return {
    spec: schemaShape(properties.spec),
    ...(properties.status ? { status: schemaShape(properties.status) } : {}),
    root: schemaShape(schema),
  };
}

// ---- the comparison ----

/**
 * Where the schema admits fewer values than a plain TypeScript `string` says, on
 * purpose. Each entry needs a reason; anything not listed is reported as drift.
 */
const SCHEMA_ENUM_OVER_PLAIN_STRING: Record<string, string> = {
  "spec.identityMapping.jwtIssuers[].algorithms[]":
    "admission rejects none and HMAC algorithms; the type stays string[] so code comparing a JWT header's alg needs no cast",
};

function differences(types: Shape, schema: Shape, path: string): string[] {
  if (types.kind === "unsupported") return [`${path}: the TypeScript type ${types.text} has no schema equivalent`];
  if (schema.kind === "unsupported") return [`${path}: the schema type ${schema.text} has no TypeScript equivalent`];
  if (types.kind !== schema.kind) return [`${path}: TypeScript says ${types.kind}, the schema says ${schema.kind}`];
  switch (types.kind) {
    case "string": {
      const s = schema as typeof types;
      if (types.enum === undefined && s.enum !== undefined && path in SCHEMA_ENUM_OVER_PLAIN_STRING) return [];
      const a = JSON.stringify(types.enum ?? null);
      const b = JSON.stringify(s.enum ?? null);
      return a === b
        ? []
        : [
            `${path}: TypeScript allows ${a === "null" ? "any string" : a}, the schema ${b === "null" ? "any string" : b}`,
          ];
    }
    case "list":
      return differences(types.items, (schema as typeof types).items, `${path}[]`);
    case "map":
      return differences(types.values, (schema as typeof types).values, `${path}{}`);
    case "object": {
      const s = (schema as typeof types).fields;
      const out: string[] = [];
      for (const name of new Set([...types.fields.keys(), ...s.keys()])) {
        const fieldPath = path ? `${path}.${name}` : name;
        const t = types.fields.get(name);
        const c = s.get(name);
        if (!c) out.push(`${fieldPath}: in the TypeScript types but not in the CRD schema`);
        else if (!t) out.push(`${fieldPath}: in the CRD schema but not in the TypeScript types`);
        else {
          if (t.required !== c.required)
            out.push(
              `${fieldPath}: ${t.required ? "required" : "optional"} in TypeScript, ${c.required ? "required" : "optional"} in the schema`,
            );
          out.push(...differences(t.shape, c.shape, fieldPath));
        }
      }
      return out;
    }
    default:
      return [];
  }
}

function compare(types: Shapes, schema: Shapes): string[] {
  const rootNames = (shape: Shape) => (shape.kind === "object" ? [...shape.fields.keys()].sort() : []);
  const out: string[] = [];
  const [typeRoot, schemaRoot] = [rootNames(types.root), rootNames(schema.root)];
  if (JSON.stringify(typeRoot) !== JSON.stringify(schemaRoot))
    out.push(`top-level fields: TypeScript has ${typeRoot.join(", ")}; the schema has ${schemaRoot.join(", ")}`);
  out.push(...differences(types.spec, schema.spec, "spec"));
  if (types.status && schema.status) out.push(...differences(types.status, schema.status, "status"));
  else if (types.status || schema.status)
    out.push(
      `status: ${types.status ? "in the TypeScript types but not in the CRD schema" : "in the CRD schema but not in the TypeScript types"}`,
    );
  return out;
}

describe("the TypeScript types and the CRD schema", () => {
  const crd = loadCrd();
  const source = readFileSync(CLIENT_TYPES_FILE, "utf8");
  let asWritten: Shapes | undefined;
  const typesAsWritten = () => {
    asWritten ??= typesShapes(CLIENT);
    return asWritten;
  };

  test("describe the same fields, required-ness, kinds and enum values", () => {
    assert.deepEqual(compare(typesAsWritten(), schemaShapes(crd)), []);
  });

  test("OAuthClientPolicy: describe the same fields, required-ness, kinds and enum values", () => {
    assert.deepEqual(compare(typesShapes(POLICY), schemaShapes(loadCrd(POLICY_CRD_FILE))), []);
  });

  test("OAuthClientPolicy: the check fails when its types drift", () => {
    const text = readFileSync(POLICY_TYPES_FILE, "utf8").replace("  audiences?: string[];\n", "");
    const found = compare(typesShapes(POLICY, text), schemaShapes(loadCrd(POLICY_CRD_FILE)));
    assert.ok(found.includes("spec.audiences: in the CRD schema but not in the TypeScript types"), found.join("\n"));
  });

  test("the check walks deep: the schema's nested fields are all seen", () => {
    const shape = schemaShapes(crd).spec;
    assert.equal(shape.kind, "object");
    const mapping = shape.fields.get("identityMapping")?.shape;
    assert.equal(mapping?.kind, "object");
    const issuers = mapping.fields.get("jwtIssuers")?.shape;
    assert.equal(issuers?.kind, "list");
    assert.equal(issuers.items.kind, "object");
    assert.ok(issuers.items.fields.has("jwksSecretRef"));
  });

  // The check itself must fail on drift; each case below makes one side drift.
  const drifted = (
    label: string,
    mutate: { schema?: (crd: Json) => void; types?: (text: string) => string },
    expected: string,
  ) => {
    test(`fails when ${label}`, () => {
      const copy = structuredClone(crd);
      mutate.schema?.(copy);
      const text = mutate.types ? mutate.types(source) : undefined;
      if (mutate.types) assert.notEqual(text, source, "the mutation must change the types");
      const found = compare(text === undefined ? typesAsWritten() : typesShapes(CLIENT, text), schemaShapes(copy));
      assert.ok(found.includes(expected), `expected "${expected}" among:\n${found.join("\n")}`);
    });
  };
  const specProperties = (copy: Json) =>
    (
      copy.spec as {
        versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, Json> } } } } }[];
      }
    ).versions[0]?.schema.openAPIV3Schema.properties.spec.properties as Record<string, Json>;
  const statusProperties = (copy: Json) =>
    (
      copy.spec as {
        versions: { schema: { openAPIV3Schema: { properties: { status: { properties: Record<string, Json> } } } } }[];
      }
    ).versions[0]?.schema.openAPIV3Schema.properties.status.properties as Record<string, Json>;

  drifted(
    "the schema loses a field",
    { schema: (c) => delete specProperties(c).subject },
    "spec.subject: in the TypeScript types but not in the CRD schema",
  );
  drifted(
    "the schema gains a status field",
    {
      schema: (c) => {
        statusProperties(c).lastError = { type: "string" };
      },
    },
    "status.lastError: in the CRD schema but not in the TypeScript types",
  );
  drifted(
    "the schema loses a nested field",
    {
      schema: (c) => {
        const rotation = (
          specProperties(c).credentials as { properties: Record<string, { properties: Record<string, Json> }> }
        ).properties.rotation;
        assert.ok(rotation);
        delete rotation.properties.revokeTokens;
      },
    },
    "spec.credentials.rotation.revokeTokens: in the TypeScript types but not in the CRD schema",
  );
  drifted(
    "the types gain a field",
    {
      types: (t) =>
        t.replace("export interface OAuthClientSpec {", "export interface OAuthClientSpec {\n  logoUri?: string;"),
    },
    "spec.logoUri: in the TypeScript types but not in the CRD schema",
  );
  drifted(
    "the types lose a nested field",
    { types: (t) => t.replace("  subjectAttribute?: string;\n", "") },
    "spec.identityMapping.samlIdps[].subjectAttribute: in the CRD schema but not in the TypeScript types",
  );
  drifted(
    "an enum drifts",
    { types: (t) => t.replace('"reuse" | "rotate" | "rotateAndReset"', '"reuse" | "rotate"') },
    'spec.refreshToken.issuance: TypeScript allows ["reuse","rotate"], the schema ["reuse","rotate","rotateAndReset"]',
  );
  drifted(
    "required-ness drifts",
    { types: (t) => t.replace("  grantTypes: GrantType[];", "  grantTypes?: GrantType[];") },
    "spec.grantTypes: optional in TypeScript, required in the schema",
  );
  drifted(
    "the schema gains an enum on a plain string field",
    {
      schema: (c) => {
        (specProperties(c).displayName as Json).enum = ["Orders"];
      },
    },
    'spec.displayName: TypeScript allows any string, the schema ["Orders"]',
  );
  drifted(
    "a kind drifts",
    { types: (t) => t.replace("  disabled?: boolean;", "  disabled?: string;") },
    "spec.disabled: TypeScript says string, the schema says boolean",
  );
});
