// Events (events.k8s.io/v1) about an OAuthClient, for `kubectl describe` and
// `kubectl get events`. Emitting is best effort: a failed Event is logged, never
// fails a reconcile. Repeats of the same reason and note within a minute are dropped,
// so a reconcile retried with backoff does not flood the namespace.
import { randomBytes } from "node:crypto";
import { V1MicroTime } from "@kubernetes/client-node";
import { API_VERSION, KIND, type OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import type { KubeClients } from "../kube.ts";
import { errorText, type Logger } from "../log.ts";

export type EventType = "Normal" | "Warning";

/** Reasons (CamelCase, stable: people filter on them). */
export const EventReason = {
  CredentialsCreated: "CredentialsCreated",
  SecretRotated: "SecretRotated",
  SecretRegenerated: "SecretRegenerated",
  SecretChanged: "SecretChanged",
  SecretAdopted: "SecretAdopted",
  RegistryWriteFailed: "RegistryWriteFailed",
  ClientIdConflict: "ClientIdConflict",
  InvalidSpec: "InvalidSpec",
  ClientRemoved: "ClientRemoved",
} as const;

export interface EventRecorder {
  emit(resource: OAuthClient, type: EventType, reason: string, note: string, action?: string): Promise<void>;
}

const REPEAT_WINDOW_MS = 60_000;

export function createEventRecorder(
  kube: KubeClients,
  controller: string,
  instance: string,
  log: Logger,
): EventRecorder {
  const recent = new Map<string, number>();
  return {
    async emit(resource, type, reason, note, action = reason) {
      const { namespace = "default", name, uid } = resource.metadata;
      const dedupKey = `${uid}\0${reason}\0${note}`;
      const now = Date.now();
      if ((recent.get(dedupKey) ?? 0) > now - REPEAT_WINDOW_MS) return;
      recent.set(dedupKey, now);
      if (recent.size > 10_000) for (const [k, at] of recent) if (at < now - REPEAT_WINDOW_MS) recent.delete(k);
      try {
        await kube.events.createNamespacedEvent({
          namespace,
          body: {
            metadata: { name: `${name}.${randomBytes(8).toString("hex")}`, namespace },
            eventTime: new V1MicroTime(now),
            type,
            reason,
            note: note.slice(0, 1024),
            action,
            reportingController: controller,
            reportingInstance: instance.slice(0, 128),
            regarding: {
              apiVersion: API_VERSION,
              kind: KIND,
              name,
              namespace,
              uid,
              resourceVersion: resource.metadata.resourceVersion,
            },
          },
        });
      } catch (error) {
        log.warn("could not record event", { reason, error: errorText(error) });
      }
    },
  };
}
