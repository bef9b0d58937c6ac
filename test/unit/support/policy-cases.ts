// One table of tenancy cases, run through the operator's decision (test/unit/operator/
// policy-decision.test.ts) and through the chart's ValidatingAdmissionPolicies on a real
// API server (test/tenancy/admission-equivalence.test.ts): the two must agree, message
// for message. Every case has its own namespace and its own policies, each selecting
// only that namespace, so all cases can live in one cluster at once.
import type { OAuthClientSpec } from "../../../api/v1alpha1/oauthclient.ts";
import type { OAuthClientPolicySpec } from "../../../api/v1alpha1/oauthclientpolicy.ts";

export interface PolicyCase {
  name: string;
  namespace: { name: string; labels?: Record<string, string> };
  policies: { name: string; spec: OAuthClientPolicySpec }[];
  client: { name: string; spec: OAuthClientSpec };
  /** The refusal messages, in decide()'s order; empty: allowed. */
  denied: string[];
}

const cc = (extra: Partial<OAuthClientSpec> = {}): OAuthClientSpec => ({
  grantTypes: ["client_credentials"],
  ...extra,
});
const outside = (subject: string, ns: string) =>
  `subject ${subject} is outside namespace ${ns}: a client's subject (spec.subject, else its client ID) must look like ${ns}/<name> or <name>.${ns} unless an OAuthClientPolicy and the namespace label tollgate.dev/subject-confinement=off (set by the platform team) allow another`;

export const POLICY_CASES: PolicyCase[] = [
  {
    name: "confinement: the default client ID is the namespace's",
    namespace: { name: "tc-default-id" },
    policies: [],
    client: { name: "sync", spec: cc() },
    denied: [],
  },
  {
    name: "confinement: a namespace-qualified subject is the namespace's",
    namespace: { name: "tc-qualified" },
    policies: [],
    client: { name: "sync", spec: cc({ subject: "tc-qualified/svc-sync" }) },
    denied: [],
  },
  {
    name: "confinement: another namespace's subject is refused",
    namespace: { name: "tc-thief" },
    policies: [],
    client: { name: "sync", spec: cc({ subject: "tc-victim/svc-payments" }) },
    denied: [outside("tc-victim/svc-payments", "tc-thief")],
  },
  {
    name: "confinement: a global subject is refused",
    namespace: { name: "tc-global" },
    policies: [],
    client: { name: "sync", spec: cc({ subject: "svc-payments" }) },
    denied: [outside("svc-payments", "tc-global")],
  },
  {
    name: "confinement: a client ID from another namespace as the subject is refused",
    namespace: { name: "tc-id" },
    policies: [],
    client: { name: "sync", spec: cc({ clientId: "orders.tc-victim" }) },
    denied: [outside("orders.tc-victim", "tc-id")],
  },
  {
    name: "confinement: a prefix of the namespace name is not the namespace",
    namespace: { name: "tc-pre" },
    policies: [],
    client: { name: "sync", spec: cc({ subject: "tc-prefix/x" }) },
    denied: [outside("tc-prefix/x", "tc-pre")],
  },
  {
    name: "confinement: a client without client_credentials declares no identity",
    namespace: { name: "tc-no-cc" },
    policies: [],
    client: {
      name: "web",
      spec: { grantTypes: ["authorization_code"], redirectUris: ["https://app.example/cb"], subject: "svc-other" },
    },
    denied: [],
  },
  {
    name: "confinement off by label, a policy allows the global subject",
    namespace: { name: "tc-payments", labels: { "tollgate.dev/subject-confinement": "off" } },
    policies: [
      { name: "tc-payments-ids", spec: { namespaces: { names: ["tc-payments"] }, subjects: ["svc-payments"] } },
    ],
    client: { name: "sync", spec: cc({ subject: "svc-payments" }) },
    denied: [],
  },
  {
    name: "confinement off by label, the policy refuses another subject",
    namespace: { name: "tc-payments2", labels: { "tollgate.dev/subject-confinement": "off" } },
    policies: [
      {
        name: "tc-payments2-ids",
        spec: { namespaces: { names: ["tc-payments2"] }, subjects: ["svc-payments", "{namespace}/*"] },
      },
    ],
    client: { name: "sync", spec: cc({ subject: "svc-orders" }) },
    denied: [
      "OAuthClientPolicy tc-payments2-ids does not allow subject svc-orders in namespace tc-payments2 (allowed: svc-payments, {namespace}/*)",
    ],
  },
  {
    name: "a policy alone does not lift the confinement",
    namespace: { name: "tc-nolabel" },
    policies: [{ name: "tc-nolabel-ids", spec: { namespaces: { names: ["tc-nolabel"] }, subjects: ["svc-*"] } }],
    client: { name: "sync", spec: cc({ subject: "svc-nolabel" }) },
    denied: [outside("svc-nolabel", "tc-nolabel")],
  },
  {
    name: "patterns: {namespace} and one * in the middle",
    namespace: { name: "tc-pattern" },
    policies: [
      { name: "tc-pattern-ids", spec: { namespaces: { names: ["tc-pattern"] }, subjects: ["{namespace}/svc-*-sync"] } },
    ],
    client: { name: "sync", spec: cc({ subject: "tc-pattern/svc-orders-sync" }) },
    denied: [],
  },
  {
    name: "patterns: * does not let prefix and suffix overlap",
    namespace: { name: "tc-overlap" },
    policies: [
      { name: "tc-overlap-ids", spec: { namespaces: { names: ["tc-overlap"] }, subjects: ["tc-overlap/ab*ba"] } },
    ],
    client: { name: "sync", spec: cc({ subject: "tc-overlap/aba" }) },
    denied: [
      "OAuthClientPolicy tc-overlap-ids does not allow subject tc-overlap/aba in namespace tc-overlap (allowed: tc-overlap/ab*ba)",
    ],
  },
  {
    name: "audiences and scopes outside the policy are listed; a left-out list does not constrain",
    namespace: { name: "tc-aud" },
    policies: [
      {
        name: "tc-aud-apis",
        spec: {
          namespaces: { names: ["tc-aud"] },
          audiences: ["https://{namespace}.api.example", "urn:shared:*"],
          scopes: ["orders.*"],
        },
      },
    ],
    client: {
      name: "sync",
      spec: cc({
        audiences: ["https://tc-aud.api.example", "https://payments.api.example", "urn:shared:x", "urn:other"],
        scopes: ["orders.read", "payments.write", "admin"],
      }),
    },
    denied: [
      "OAuthClientPolicy tc-aud-apis does not allow audiences https://payments.api.example, urn:other in namespace tc-aud (allowed: https://{namespace}.api.example, urn:shared:*)",
      "OAuthClientPolicy tc-aud-apis does not allow scopes payments.write, admin in namespace tc-aud (allowed: orders.*)",
    ],
  },
  {
    name: "grant types outside the policy; an empty list allows none",
    namespace: { name: "tc-grants" },
    policies: [
      { name: "tc-grants-a", spec: { namespaces: { names: ["tc-grants"] }, grantTypes: ["authorization_code"] } },
      { name: "tc-grants-b", spec: { namespaces: { names: ["tc-grants"] }, scopes: [] } },
    ],
    client: { name: "sync", spec: cc({ scopes: ["read"] }) },
    denied: [
      "OAuthClientPolicy tc-grants-a does not allow grant types client_credentials in namespace tc-grants (allowed: authorization_code)",
      "OAuthClientPolicy tc-grants-b does not allow scopes read in namespace tc-grants (allowed: none)",
    ],
  },
  {
    name: "label selector: matchLabels and every operator select the namespace",
    namespace: { name: "tc-sel", labels: { "tc-team": "sel", "tc-tier": "gold" } },
    policies: [
      {
        name: "tc-sel-scopes",
        spec: {
          namespaces: {
            selector: {
              matchLabels: { "tc-team": "sel" },
              matchExpressions: [
                { key: "tc-tier", operator: "In", values: ["gold", "silver"] },
                { key: "tc-tier", operator: "NotIn", values: ["bronze"] },
                { key: "tc-team", operator: "Exists" },
                { key: "tc-frozen", operator: "DoesNotExist" },
              ],
            },
          },
          scopes: ["read"],
        },
      },
    ],
    client: { name: "sync", spec: cc({ scopes: ["write"] }) },
    denied: ["OAuthClientPolicy tc-sel-scopes does not allow scopes write in namespace tc-sel (allowed: read)"],
  },
  {
    name: "label selector: one failing requirement leaves the namespace unselected",
    namespace: { name: "tc-unsel", labels: { "tc-team": "unsel", "tc-frozen": "yes" } },
    policies: [
      {
        name: "tc-unsel-scopes",
        spec: {
          namespaces: {
            selector: {
              matchLabels: { "tc-team": "unsel" },
              matchExpressions: [{ key: "tc-frozen", operator: "DoesNotExist" }],
            },
          },
          scopes: ["read"],
        },
      },
    ],
    client: { name: "sync", spec: cc({ scopes: ["write"] }) },
    denied: [],
  },
  {
    name: "label selector: NotIn selects a namespace without the label",
    namespace: { name: "tc-notin", labels: { "tc-team": "notin" } },
    policies: [
      {
        name: "tc-notin-grants",
        spec: {
          namespaces: {
            selector: {
              matchLabels: { "tc-team": "notin" },
              matchExpressions: [{ key: "tc-tier", operator: "NotIn", values: ["gold"] }],
            },
          },
          grantTypes: ["authorization_code", "refresh_token"],
        },
      },
    ],
    client: { name: "sync", spec: cc() },
    denied: [
      "OAuthClientPolicy tc-notin-grants does not allow grant types client_credentials in namespace tc-notin (allowed: authorization_code, refresh_token)",
    ],
  },
  {
    name: "a policy for another namespace does not apply",
    namespace: { name: "tc-other" },
    policies: [{ name: "tc-other-scopes", spec: { namespaces: { names: ["tc-elsewhere"] }, scopes: [] } }],
    client: { name: "sync", spec: cc({ scopes: ["anything"] }) },
    denied: [],
  },
  {
    name: "confinement and two policies all report",
    namespace: { name: "tc-all" },
    policies: [
      { name: "tc-all-a", spec: { namespaces: { names: ["tc-all"] }, subjects: ["{namespace}/*"] } },
      { name: "tc-all-b", spec: { namespaces: { names: ["tc-all"] }, subjects: ["svc-*"] } },
    ],
    client: { name: "sync", spec: cc({ subject: "svc-all" }) },
    denied: [
      outside("svc-all", "tc-all"),
      "OAuthClientPolicy tc-all-a does not allow subject svc-all in namespace tc-all (allowed: {namespace}/*)",
    ],
  },
];
