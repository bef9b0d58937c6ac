// Whether a namespace may declare an OAuthClient: the one decision, pure, that the
// operator makes before it registers a client. The chart's ValidatingAdmissionPolicies
// (charts/tollgate/templates/admission-policy.yaml) make the same decision in CEL at
// admission, with the same messages; test/tenancy/admission-equivalence.test.ts runs
// one table of cases through both.
//
// Two rules, both must hold:
// - Confinement (built in, the default install's safety): the service identity of a
//   client_credentials client (spec.subject, else its client ID) lies in its own
//   namespace: "<namespace>/<anything>" or "<anything>.<namespace>" (the shape of a
//   default client ID). A namespace labelled tollgate.dev/subject-confinement=off is
//   left to the policies alone; Namespace labels are the platform team's to set.
// - Policies: every OAuthClientPolicy that selects the namespace constrains it, and the
//   client must satisfy each (Kubernetes' own semantics for admission parameters: each
//   parameter is evaluated on its own and any of them may deny).
import type { OAuthClientSpec } from "../../api/v1alpha1/oauthclient.ts";
import type { LabelSelector, OAuthClientPolicy } from "../../api/v1alpha1/oauthclientpolicy.ts";

export const CONFINEMENT_LABEL = "tollgate.dev/subject-confinement";
export const CONFINEMENT_OFF = "off";

export interface PolicyNamespace {
  name: string;
  labels: Record<string, string>;
}

/** What a client declares that a policy constrains. */
export interface ClientDeclaration {
  name: string;
  spec: Pick<OAuthClientSpec, "subject" | "clientId" | "audiences" | "scopes" | "grantTypes">;
}

export interface Denial {
  /** The policy that denies, or undefined for the built-in confinement. */
  policy?: string;
  field: "subject" | "audiences" | "scopes" | "grantTypes";
  message: string;
}

export interface PolicyInput {
  namespace: PolicyNamespace;
  client: ClientDeclaration;
  policies: readonly OAuthClientPolicy[];
  /** The built-in confinement (the chart's policy.confinement; on by default). */
  confinement: boolean;
}

/** Every reason the client is refused, in a stable order; empty when it is allowed. */
export function decide({ namespace, client, policies, confinement }: PolicyInput): Denial[] {
  const denials: Denial[] = [];
  const subject = serviceIdentity(client, namespace.name);
  if (confinement && namespace.labels[CONFINEMENT_LABEL] !== CONFINEMENT_OFF && subject !== undefined) {
    if (!subject.startsWith(`${namespace.name}/`) && !subject.endsWith(`.${namespace.name}`))
      denials.push({ field: "subject", message: confinementMessage(subject, namespace.name) });
  }
  const ordered = [...policies].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const policy of ordered) {
    if (!selects(policy, namespace)) continue;
    const { spec, metadata } = policy;
    const denied = (field: Denial["field"], what: string, allowed: readonly string[]) =>
      denials.push({
        policy: metadata.name,
        field,
        message: `OAuthClientPolicy ${metadata.name} does not allow ${what} in namespace ${namespace.name} (allowed: ${allowed.length ? allowed.join(", ") : "none"})`,
      });
    if (spec.subjects && subject !== undefined && !spec.subjects.some((p) => matches(p, subject, namespace.name)))
      denied("subject", `subject ${subject}`, spec.subjects);
    for (const [field, values, patterns] of [
      ["audiences", client.spec.audiences ?? [], spec.audiences],
      ["scopes", client.spec.scopes ?? [], spec.scopes],
    ] as const) {
      if (!patterns) continue;
      const outside = values.filter((v) => !patterns.some((p) => matches(p, v, namespace.name)));
      if (outside.length) denied(field, `${field} ${outside.join(", ")}`, patterns);
    }
    if (spec.grantTypes) {
      const allowed: readonly string[] = spec.grantTypes;
      const outside = client.spec.grantTypes.filter((g) => !allowed.includes(g));
      if (outside.length) denied("grantTypes", `grant types ${outside.join(", ")}`, spec.grantTypes);
    }
  }
  return denials;
}

/**
 * The identity client_credentials tokens act as: spec.subject, else the client ID
 * (spec.clientId, else the default "<name>.<namespace>"). Undefined for a client
 * without that grant: its tokens' subjects are users, not an identity it declares.
 */
export function serviceIdentity(client: ClientDeclaration, namespace: string): string | undefined {
  if (!client.spec.grantTypes.includes("client_credentials")) return undefined;
  return client.spec.subject ?? client.spec.clientId ?? `${client.name}.${namespace}`;
}

function confinementMessage(subject: string, namespace: string): string {
  return `subject ${subject} is outside namespace ${namespace}: a client's subject (spec.subject, else its client ID) must look like ${namespace}/<name> or <name>.${namespace} unless an OAuthClientPolicy and the namespace label ${CONFINEMENT_LABEL}=${CONFINEMENT_OFF} (set by the platform team) allow another`;
}

/** A pattern matched whole: "{namespace}" is the client's namespace, one "*" any run of characters. */
export function matches(pattern: string, value: string, namespace: string): boolean {
  const expanded = pattern.replaceAll("{namespace}", namespace);
  const star = expanded.indexOf("*");
  if (star < 0) return value === expanded;
  const before = expanded.slice(0, star);
  const after = expanded.slice(star + 1);
  return value.length >= before.length + after.length && value.startsWith(before) && value.endsWith(after);
}

export function selects(policy: OAuthClientPolicy, namespace: PolicyNamespace): boolean {
  const { names, selector } = policy.spec.namespaces;
  return (
    (names?.includes(namespace.name) ?? false) || (selector !== undefined && labelsMatch(selector, namespace.labels))
  );
}

/** A Kubernetes label selector, as metav1.LabelSelectorAsSelector evaluates it. */
function labelsMatch(selector: LabelSelector, labels: Record<string, string>): boolean {
  const has = (key: string) => Object.hasOwn(labels, key);
  return (
    Object.entries(selector.matchLabels ?? {}).every(([key, value]) => has(key) && labels[key] === value) &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case "In":
          return has(key) && values.includes(labels[key] ?? "");
        case "NotIn":
          return !(has(key) && values.includes(labels[key] ?? ""));
        case "Exists":
          return has(key);
        case "DoesNotExist":
          return !has(key);
      }
      return false;
    })
  );
}
