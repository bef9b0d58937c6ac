// Authenticated registry records. What Redis stores for a client is
//
//   mac1.<kid>.<base64url HMAC-SHA-256>.<record JSON>
//
// and the MAC covers, byte for byte, a domain label, the Redis key of the hash, the
// hash field (the client ID) and the record JSON exactly as stored:
//
//   "tollgate-registry-record-v1" NUL <hash key> NUL <client ID> NUL <record JSON>
//
// So a record cannot be edited (the JSON is what was MAC'd, not a re-serialisation),
// moved to another client's field or to another registry's hash, or written by anyone
// without the key. The JSON's own clientId must also equal the field. What the MAC
// does not stop: replaying an older record of the same client, which the operator
// overwrites on its next resync (docs/security.md).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { RecordRejection } from "./record.ts";
import type { RecordKey, RecordKeyRing } from "./record-keys.ts";

const SCHEME = "mac1";
const DOMAIN = "tollgate-registry-record-v1";

type Opened = { ok: true; json: string; kid: string } | { ok: false; reason: RecordRejection["reason"] };

export function sealRecord(key: RecordKey, hashKey: string, clientId: string, json: string): string {
  return `${SCHEME}.${key.kid}.${mac(key, hashKey, clientId, json).toString("base64url")}.${json}`;
}

/** Verifies a stored value; the JSON is returned only when its MAC checks out under an accepted key. */
export function openRecord(keys: RecordKeyRing, hashKey: string, clientId: string, stored: string): Opened {
  if (!stored.startsWith(`${SCHEME}.`)) return { ok: false, reason: stored.startsWith("{") ? "unsigned" : "malformed" };
  const kidEnd = stored.indexOf(".", SCHEME.length + 1);
  const macEnd = kidEnd < 0 ? -1 : stored.indexOf(".", kidEnd + 1);
  if (macEnd < 0) return { ok: false, reason: "malformed" };
  const kid = stored.slice(SCHEME.length + 1, kidEnd);
  const given = Buffer.from(stored.slice(kidEnd + 1, macEnd), "base64url");
  const json = stored.slice(macEnd + 1);
  const key = keys.accepted(kid);
  if (!key) return { ok: false, reason: "unknown_key" };
  const expected = mac(key, hashKey, clientId, json);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad_mac" };
  return { ok: true, json, kid };
}

function mac(key: RecordKey, hashKey: string, clientId: string, json: string): Buffer {
  return createHmac("sha256", key.secret).update(`${DOMAIN}\0${hashKey}\0${clientId}\0`).update(json).digest();
}
