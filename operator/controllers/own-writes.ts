// The Secrets the reconciler writes itself, remembered by their content before the
// write is sent, so the watch event each write comes back as wakes nobody: the
// reconcile that made the write already continued from it. (Content, not
// resourceVersion: the event can arrive before the write's response.) A person's edit
// or a deletion differs from what was written, and wakes the reconciler as usual.
import type { V1Secret } from "@kubernetes/client-node";
import { stableJson } from "../reconcile/status.ts";

export class OwnWrites {
  readonly #written = new Map<string, string>();

  remember(secret: V1Secret): void {
    this.#written.set(keyOf(secret), fingerprint(secret));
  }

  /** Whether the Secret, as the event shows it, is exactly what the reconciler last wrote. */
  isOwn(secret: V1Secret): boolean {
    return this.#written.get(keyOf(secret)) === fingerprint(secret);
  }

  forget(secret: V1Secret): void {
    this.#written.delete(keyOf(secret));
  }
}

function keyOf(secret: V1Secret): string {
  return `${secret.metadata?.namespace ?? ""}/${secret.metadata?.name ?? ""}`;
}

function fingerprint(secret: V1Secret): string {
  const { labels = {}, annotations = {}, ownerReferences = [] } = secret.metadata ?? {};
  const owners = ownerReferences.map((o) => `${o.uid}:${o.controller === true}`);
  return stableJson({ data: secret.data ?? {}, labels, annotations, owners, type: secret.type ?? "Opaque" });
}
