// Scope (RFC 6749 §3.3) and audience (RFC 8707) resolution, as tables.
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveAudience } from "../../../token-server/audience.ts";
import { clientEntry } from "../../../token-server/client-entry.ts";
import { resolveScope } from "../../../token-server/scope.ts";
import { record } from "../support/records.ts";

const client = record({
  scopes: ["orders.read", "orders.write", "admin"],
  defaultScopes: ["orders.read"],
  audiences: ["https://orders.example", "reports"],
  defaultAudience: "https://orders.example",
});
const entry = clientEntry(client);
const ISSUER = "https://issuer.example";

const scopeCases: [string, string | undefined, string[] | string][] = [
  ["nothing requested: the default scopes", undefined, ["orders.read"]],
  ["one allowed value", "orders.write", ["orders.write"]],
  ["request order kept, duplicates dropped", "admin orders.read admin", ["admin", "orders.read"]],
  ["one value not allowed refuses the whole request", "orders.read billing", "invalid_scope"],
  ["an empty value (double space) is malformed", "orders.read  admin", "invalid_request"],
  ["a quote is not a scope-token character", 'orders"read', "invalid_request"],
  ["a backslash is not a scope-token character", "orders\\read", "invalid_request"],
  ["an empty scope parameter is malformed", "", "invalid_request"],
];

for (const [name, requested, expected] of scopeCases)
  test(`scope: ${name}`, () => {
    if (typeof expected === "string")
      assert.throws(
        () => resolveScope(entry, requested),
        (error: { error?: string }) => error.error === expected,
      );
    else assert.deepEqual(resolveScope(entry, requested), expected);
  });

test("scope: a client without default scopes gets an empty scope", () => {
  assert.deepEqual(resolveScope(clientEntry(record({ defaultScopes: [] })), undefined), []);
});

const audienceCases: [string, string[] | undefined, string[] | undefined, string[] | string][] = [
  ["nothing requested: the default audience", undefined, undefined, ["https://orders.example"]],
  ["a resource indicator", ["https://orders.example"], undefined, ["https://orders.example"]],
  ["a logical audience", undefined, ["reports"], ["reports"]],
  [
    "both, duplicates dropped",
    ["https://orders.example"],
    ["reports", "reports"],
    ["https://orders.example", "reports"],
  ],
  ["a resource that is not allowed", ["https://billing.example"], undefined, "invalid_target"],
  ["an audience that is not allowed", undefined, ["billing"], "invalid_target"],
  ["a relative resource", ["orders"], undefined, "invalid_target"],
  ["a resource with a fragment", ["https://orders.example#x"], undefined, "invalid_target"],
];

for (const [name, resources, audiences, expected] of audienceCases)
  test(`audience: ${name}`, () => {
    if (typeof expected === "string")
      assert.throws(
        () => resolveAudience(client, resources, audiences, ISSUER),
        (error: { error?: string }) => error.error === expected,
      );
    else assert.deepEqual(resolveAudience(client, resources, audiences, ISSUER), expected);
  });

test("audience: no default audience falls back to the issuer (RFC 9068 needs an aud)", () => {
  const { defaultAudience: _, ...withoutDefault } = client;
  assert.deepEqual(resolveAudience(withoutDefault, undefined, undefined, ISSUER), [ISSUER]);
});
