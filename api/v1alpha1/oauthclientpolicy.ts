// The OAuthClientPolicy resource (tollgate.dev/v1alpha1, cluster-scoped) as TypeScript
// sees it. The CRD in crds/ is the source of truth.
import type { GrantType } from "./oauthclient.ts";

export const POLICY_KIND = "OAuthClientPolicy";
export const POLICY_PLURAL = "oauthclientpolicies";

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface OAuthClientPolicySpec {
  namespaces: { names?: string[]; selector?: LabelSelector };
  /** Patterns: one "*" matches any run of characters; "{namespace}" is the client's namespace. */
  subjects?: string[];
  audiences?: string[];
  scopes?: string[];
  grantTypes?: GrantType[];
}

export interface OAuthClientPolicy {
  apiVersion: "tollgate.dev/v1alpha1";
  kind: typeof POLICY_KIND;
  metadata: { name: string; uid?: string; resourceVersion?: string; generation?: number };
  spec: OAuthClientPolicySpec;
}
