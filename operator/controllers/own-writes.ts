// The Secrets the reconciler writes itself, so the watch event each write comes back as
// wakes nobody: the reconcile that made the write already continued from it. The
// Secret cache holds metadata only (oauthclient.ts), so a write is recognised by the
// resourceVersion the API server gave it, and, for an event that arrives before the
// write's response, by its labels, annotations and owners, which every write of the
// operator's sets (the state annotations move with the secret). A person's edit or a
// deletion differs from what was written, and wakes the reconciler as usual.
import type { V1Secret } from "@kubernetes/client-node";
import { stableJson } from "../reconcile/status.ts";

export class OwnWrites {
  readonly #written = new Map<string, { fingerprint: string; resourceVersion?: string }>();

  /** Before the write is sent. */
  remember(secret: V1Secret): void {
    this.#written.set(keyOf(secret), { fingerprint: fingerprint(secret) });
  }

  /** With the API server's answer to the write. */
  wrote(secret: V1Secret): void {
    const entry = this.#written.get(keyOf(secret));
    if (entry) entry.resourceVersion = secret.metadata?.resourceVersion;
  }

  /** Whether the Secret, as the event shows it, is exactly what the reconciler last wrote. */
  isOwn(secret: V1Secret): boolean {
    const entry = this.#written.get(keyOf(secret));
    if (!entry) return false;
    return entry.resourceVersion !== undefined
      ? entry.resourceVersion === secret.metadata?.resourceVersion
      : entry.fingerprint === fingerprint(secret);
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
  return stableJson({ labels, annotations, owners });
}
