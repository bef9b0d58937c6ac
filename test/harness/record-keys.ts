// The registry record keys as a test reader needs them: followed from the operator's
// Secret in the API server (as a token server follows its mounted copy), so a test can
// read and verify what an operator, in this process or another, wrote.
import type { KubeClients } from "../../operator/kube.ts";
import { readSecret } from "../../operator/kube.ts";
import { parseRecordKey, RECORD_KEY_FILES, type RecordKeyRing, type RecordKeySet } from "../../registry/record-keys.ts";

export const TEST_RECORD_KEYS_SECRET = { namespace: "default", name: "tollgate-registry-keys" } as const;

/** Installs the Secret's keys into `ring` now and every `pollMs`; returns a function that stops. */
export function followRecordKeysSecret(
  kube: KubeClients,
  ring: RecordKeyRing,
  where: { namespace: string; name: string } = TEST_RECORD_KEYS_SECRET,
  pollMs = 250,
): () => void {
  let last = "";
  const load = async () => {
    const secret = await readSecret(kube, where.namespace, where.name).catch(() => undefined);
    const fingerprint = JSON.stringify(secret?.data ?? {});
    if (!secret?.data || fingerprint === last) return;
    const keys: RecordKeySet = {};
    for (const [slot, file] of Object.entries(RECORD_KEY_FILES)) {
      const raw = secret.data[file];
      if (raw) keys[slot as keyof RecordKeySet] = parseRecordKey(Buffer.from(raw, "base64").toString("utf8"), file);
    }
    if (!keys.current) return;
    ring.install(keys);
    last = fingerprint;
  };
  void load();
  const timer = setInterval(() => void load(), pollMs);
  timer.unref();
  return () => clearInterval(timer);
}
