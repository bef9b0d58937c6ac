// The OAuthClient states a GitOps tool must tell apart, each recorded from the real API
// server with the real operator (recorded-states.test.ts writes test/gitops/recorded/*.json
// with TOLLGATE_RECORD_FIXTURES=1, and otherwise checks the committed files still match
// what the operator produces), and what each tool must make of it: Argo CD through
// integrations/argocd/health.lua (argocd-health.test.ts), kstatus as Flux and kpt compute
// it (test/unit/operator/kstatus.test.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";

export type ArgoHealth = "Healthy" | "Progressing" | "Degraded" | "Suspended" | "Missing" | "Unknown";
export type KstatusStatus = "InProgress" | "Failed" | "Current" | "Terminating";

export interface RecordedState {
  /** File name under test/gitops/recorded/, without .json. */
  name: string;
  /** How the recording test brings the operator there. */
  what: string;
  argo: { status: ArgoHealth; message: RegExp };
  kstatus: { status: KstatusStatus; reason: string };
}

export const RECORDED_DIR = join(import.meta.dirname, "recorded");

/** The namespaces the recordings are rewritten to (the test's are random). */
export const RECORDED_NAMESPACE = "team-a";
export const RECORDED_OTHER_NAMESPACE = "team-b";

export const STATES: readonly RecordedState[] = [
  {
    name: "applied",
    what: "as the API server returns it on create, before the operator has looked",
    argo: { status: "Progressing", message: /^Waiting for the Tollgate operator to observe generation 1$/ },
    kstatus: { status: "InProgress", reason: "LatestGenerationNotObserved" },
  },
  {
    name: "waiting-for-secret",
    what: "credentials.source adopt, the Secret not created yet",
    argo: { status: "Progressing", message: /^WaitingForSecret: Waiting for Secret team-a\/legacy-creds / },
    kstatus: { status: "InProgress", reason: "WaitingForSecret" },
  },
  {
    name: "ready",
    what: "registered, credentials written",
    argo: { status: "Healthy", message: /^Ready: Client ready\.team-a is registered; credentials are in Secret / },
    kstatus: { status: "Current", reason: "" },
  },
  {
    name: "invalid-spec",
    what: "an inline JWK the schema admits and the compiler refuses",
    argo: {
      status: "Degraded",
      message: /^InvalidSpec: spec\.jwks: key 0 \(kid "broken"\) is not a usable public key/,
    },
    kstatus: { status: "Failed", reason: "InvalidSpec" },
  },
  {
    name: "client-id-conflict",
    what: "a second resource claiming a spec.clientId another one holds",
    argo: {
      status: "Degraded",
      message: /^ClientIdConflict: Client ID "shared" is already used by OAuthClient team-b\/first/,
    },
    kstatus: { status: "Failed", reason: "ClientIdConflict" },
  },
  {
    name: "registry-down",
    what: "Redis stopped while a client is applied",
    argo: { status: "Progressing", message: /^RegistryUnavailable: The registry \(Redis\) is unreachable/ },
    kstatus: { status: "InProgress", reason: "RegistryUnavailable" },
  },
  {
    name: "disabled",
    what: "spec.disabled set on a Ready client, and in effect",
    argo: { status: "Suspended", message: /^Disabled: Client disabled\.team-a is registered and disabled/ },
    kstatus: { status: "Current", reason: "" },
  },
];

export function recordedPath(name: string): string {
  return join(RECORDED_DIR, `${name}.json`);
}

export function readRecorded(name: string): OAuthClient {
  return JSON.parse(readFileSync(recordedPath(name), "utf8")) as OAuthClient;
}
