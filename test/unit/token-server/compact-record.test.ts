// Ten thousand clients mostly repeat a few shapes: the token server holds each common
// value once (compact-record.ts), frozen, while what is each client's own stays its own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clientEntry } from "../../../token-server/client-entry.ts";
import { clientCredentialsRecord } from "../../token-server/client-record.ts";

/** A record as the registry hands it over: freshly parsed, nothing shared with another. */
const parsed = (clientId: string, overrides = {}) =>
  JSON.parse(JSON.stringify(clientCredentialsRecord(clientId, `${clientId}-secret`, overrides)));

test("clients with the same scopes, grants and lifetimes share those values and the scope set", () => {
  const a = clientEntry(parsed("a.compact"));
  const b = clientEntry(parsed("b.compact"));
  for (const field of ["scopes", "grantTypes", "audiences", "accessToken", "refreshToken"] as const)
    assert.equal(a.record[field], b.record[field], `${field} is one shared value`);
  assert.equal(a.allowedScopes, b.allowedScopes);
  assert.deepEqual([...a.allowedScopes], ["orders.read", "orders.write"]);
  assert.notEqual(a.record.secrets, b.record.secrets, "each client's secrets stay its own");
  assert.equal(a.record.clientId, "a.compact");
  assert.equal(b.record.subject, "b.compact");
});

test("a shared value is frozen: one client cannot change another's", () => {
  const a = clientEntry(parsed("c.compact"));
  const b = clientEntry(parsed("d.compact"));
  assert.throws(() => (a.record.scopes as string[]).push("admin"), TypeError);
  assert.throws(() => {
    (a.record.accessToken as { lifetimeSeconds: number }).lifetimeSeconds = 1;
  }, TypeError);
  assert.deepEqual(b.record.scopes, ["orders.read", "orders.write"]);
  assert.equal(b.record.accessToken.lifetimeSeconds, 600);
});

test("different values are not merged", () => {
  const a = clientEntry(parsed("e.compact", { scopes: ["orders.read"], defaultScopes: ["orders.read"] }));
  const b = clientEntry(parsed("f.compact"));
  assert.deepEqual(a.record.scopes, ["orders.read"]);
  assert.deepEqual(b.record.scopes, ["orders.read", "orders.write"]);
  assert.ok(!a.allowedScopes.has("orders.write"));
  assert.ok(b.allowedScopes.has("orders.write"));
});
