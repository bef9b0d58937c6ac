// Events (events.k8s.io/v1) about an OAuthClient, for `kubectl describe` and
// `kubectl get events`. Emitting is best effort and does not hold up the reconcile
// (the write runs in the background; flush() waits for those in flight): a failed
// Event is logged, never fails a reconcile. Repeats of the same reason and note within a minute are dropped,
// so a reconcile retried with backoff does not flood the namespace.
import { randomBytes } from "node:crypto";
import { API_VERSION, KIND, type OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { V1MicroTime } from "../../common/kubernetes-client.ts";
import { errorText, type Logger } from "../../common/logger.ts";
import type { KubeClients } from "../kube.ts";

export type EventType = "Normal" | "Warning";

/** Reasons (CamelCase, stable: people filter on them). */
export const EventReason = {
  /** A new client's first registration: credentials generated and the registry record created. */
  Registered: "Registered",
  CredentialsCreated: "CredentialsCreated",
  SecretRotated: "SecretRotated",
  SecretRegenerated: "SecretRegenerated",
  SecretChanged: "SecretChanged",
  SecretAdopted: "SecretAdopted",
  RegistryUpdated: "RegistryUpdated",
  RegistryWriteFailed: "RegistryWriteFailed",
  ClientDisabled: "ClientDisabled",
  ClientEnabled: "ClientEnabled",
  TokensRevoked: "TokensRevoked",
  ClientIdConflict: "ClientIdConflict",
  InvalidSpec: "InvalidSpec",
  ClientRemoved: "ClientRemoved",
  // Tenancy (operator/policy/decide.ts): an OAuthClientPolicy or the subject confinement refuses the client.
  PolicyDenied: "PolicyDenied",
} as const;

export interface EventRecorder {
  /** Records an Event in the background. */
  emit(resource: OAuthClient, type: EventType, reason: string, note: string, action?: string): void;
  /** Waits for the Events being written. */
  flush(): Promise<void>;
}

const REPEAT_WINDOW_MS = 60_000;

export function createEventRecorder(
  kube: KubeClients,
  controller: string,
  instance: string,
  log: Logger,
): EventRecorder {
  const recent = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const write = async (resource: OAuthClient, type: EventType, reason: string, note: string, action: string) => {
    const { namespace = "default", name, uid } = resource.metadata;
    const now = Date.now();
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
  };
  return {
    emit(resource, type, reason, note, action = reason) {
      const dedupKey = `${resource.metadata.uid}\0${reason}\0${note}`;
      const now = Date.now();
      if ((recent.get(dedupKey) ?? 0) > now - REPEAT_WINDOW_MS) return;
      recent.set(dedupKey, now);
      if (recent.size > 10_000) for (const [k, at] of recent) if (at < now - REPEAT_WINDOW_MS) recent.delete(k);
      const pending = write(resource, type, reason, note, action).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    },
    async flush() {
      await Promise.all(inFlight);
    },
  };
}
