// What the operator itself writes on an OAuthClient: its status and its own finalizer.
// A change of nothing else (its resourceVersion aside) is the operator's own write coming
// back: the operator's watches do not reconcile again for it, and the registrar does not
// take it for a concurrent use of a registration access token.
import { FINALIZER, type OAuthClient } from "./oauthclient.ts";

/** Whether `now` differs from `before` beyond the operator's writes (spec, labels, annotations, others' finalizers, deletion). */
export function changedBeyondOperatorWrites(before: OAuthClient, now: OAuthClient): boolean {
  const { metadata: a } = before;
  const { metadata: b } = now;
  return !(
    a.generation === b.generation &&
    a.deletionTimestamp === b.deletionTimestamp &&
    JSON.stringify(a.annotations ?? {}) === JSON.stringify(b.annotations ?? {}) &&
    JSON.stringify(a.labels ?? {}) === JSON.stringify(b.labels ?? {}) &&
    JSON.stringify(othersFinalizers(a.finalizers)) === JSON.stringify(othersFinalizers(b.finalizers))
  );
}

function othersFinalizers(finalizers: string[] | undefined): string[] {
  return (finalizers ?? []).filter((f) => f !== FINALIZER);
}
