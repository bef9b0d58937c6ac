// Registry record MACs (registry/record-seal.ts) and key rotation (registry/record-keys.ts):
// what verifies and what is refused, and why.
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateRecordKey, type RecordJwk, type RecordKey, RecordKeyRing } from "../../../registry/record-keys.ts";
import { openRecord, sealRecord } from "../../../registry/record-seal.ts";

const HASH = "tollgate:registry:v1:clients";
const json = JSON.stringify({ clientId: "a", subject: "svc-a", scopes: ["read"] });

test("a sealed record opens to the exact JSON; every change to it, its place or its key is refused", async () => {
  const ring = await RecordKeyRing.generated();
  const key = ring.current as RecordKey;
  const stored = sealRecord(key, HASH, "a", json);
  assert.deepEqual(openRecord(ring, HASH, "a", stored), { ok: true, json, kid: key.kid });
  const other = await RecordKeyRing.generated();
  const cases: [string, string, string, string, string][] = [
    ["plain JSON (a record written without the key)", HASH, "a", json, "unsigned"],
    ["tampered JSON", HASH, "a", stored.replace('"svc-a"', '"admin"'), "bad_mac"],
    ["moved to another client's field", HASH, "b", stored, "bad_mac"],
    ["moved to another hash", "tollgate:registry:v2:clients", "a", stored, "bad_mac"],
    [
      "MAC'd with a key the ring does not hold",
      HASH,
      "a",
      sealRecord(other.current as RecordKey, HASH, "a", json),
      "unknown_key",
    ],
    ["a MAC of another length", HASH, "a", stored.replace(/^(mac1\.[^.]+\.)[^.]+/, "$1AAAA"), "bad_mac"],
    ["garbage", HASH, "a", "mac1.nokid", "malformed"],
    ["not a record at all", HASH, "a", "hello", "malformed"],
  ];
  for (const [what, hash, field, value, reason] of cases)
    assert.deepEqual(openRecord(ring, hash, field, value), { ok: false, reason }, what);
});

test("rotation: records under the previous key verify until it is dropped; next verifies before it is current", async () => {
  const [k1, k2, k3, k4] = (await Promise.all([1, 2, 3, 4].map(() => generateRecordKey()))) as [
    RecordJwk,
    RecordJwk,
    RecordJwk,
    RecordJwk,
  ];
  const ring = new RecordKeyRing();
  ring.install({ current: k1, next: k2 });
  const asKey = (jwk: RecordJwk) => ring.accepted(jwk.kid) as RecordKey;
  const underK1 = sealRecord(asKey(k1), HASH, "a", json);
  const underK2 = sealRecord(asKey(k2), HASH, "a", json);
  assert.equal(openRecord(ring, HASH, "a", underK2).ok, true, "next is accepted before it is current");
  ring.install({ previous: k1, current: k2, next: k3 });
  assert.equal(ring.current?.kid, k2.kid);
  assert.equal(openRecord(ring, HASH, "a", underK1).ok, true, "previous still verifies during the rotation");
  ring.install({ previous: k2, current: k3, next: k4 });
  assert.deepEqual(openRecord(ring, HASH, "a", underK1), { ok: false, reason: "unknown_key" });
  assert.throws(() => ring.install({ next: k4 }), /no current.jwk/);
});
