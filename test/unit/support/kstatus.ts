// What kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status, Compute) makes of a custom
// resource, as its documentation and code define it, for tests: Flux and kpt wait with it.
// In order: deletionTimestamp -> Terminating; status.observedGeneration present and not
// metadata.generation -> InProgress (LatestGenerationNotObserved); the first condition that
// is Reconciling=True -> InProgress, or Stalled=True -> Failed; then the Ready fallback
// (True -> Current, False or Unknown -> InProgress); else Current.
import type { OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";

export interface KstatusResult {
  status: "InProgress" | "Failed" | "Current" | "Terminating";
  /** The reason of the condition kstatus decided by ("" when none). */
  reason: string;
  message: string;
}

export function kstatus(resource: OAuthClient): KstatusResult {
  const { metadata, status } = resource;
  if (metadata.deletionTimestamp)
    return { status: "Terminating", reason: "", message: "Resource scheduled for deletion" };
  const generation = metadata.generation;
  const observed = status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed !== generation)
    return {
      status: "InProgress",
      reason: "LatestGenerationNotObserved",
      message: `${resource.kind} generation is ${generation}, but latest observed generation is ${observed}`,
    };
  const conditions = status?.conditions ?? [];
  for (const c of conditions) {
    if (c.type === "Reconciling" && c.status === "True")
      return { status: "InProgress", reason: c.reason, message: c.message };
    if (c.type === "Stalled" && c.status === "True") return { status: "Failed", reason: c.reason, message: c.message };
  }
  const ready = conditions.find((c) => c.type === "Ready");
  if (ready?.status === "True") return { status: "Current", reason: "", message: "Resource is Ready" };
  if (ready) return { status: "InProgress", reason: ready.reason, message: ready.message };
  return { status: "Current", reason: "", message: "Resource is current" };
}
