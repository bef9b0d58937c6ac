// Tenancy as the chart ships it, on a real cluster (API server, controller-manager: the
// ClusterRole aggregation is its work): the chart installed by helm, application teams
// acting as users bound to the built-in `edit` and `view` roles in their namespaces
// (kubectl impersonation), the platform team writing OAuthClientPolicies and labelling
// namespaces. Pods are not needed here and the chart's image is not loaded: the
// admission policies and roles are all that is asked of the cluster.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { CHART_DIR, helm } from "../chart/render.ts";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.ts";
import { waitFor } from "../harness/processes.ts";
import { createNamespace, createPolicy, postClient } from "./support.ts";

const run = promisify(execFile);
let cp: ControlPlane;

/** kubectl as `user` (impersonated by the admin); resolves to { code, output }. */
async function kubectlAs(user: string, args: string[], input?: string): Promise<{ code: number; output: string }> {
  const child = run(join(cp.binDir, "kubectl"), ["--kubeconfig", cp.kubeconfigPath, "--as", user, ...args]);
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

const client = (name: string, spec: Record<string, unknown>) =>
  stringify({ apiVersion: "tollgate.dev/v1alpha1", kind: "OAuthClient", metadata: { name }, spec });

const canI = async (user: string, verb: string, resource: string, namespace: string, ...more: string[]) =>
  (
    await kubectlAs(user, ["auth", "can-i", verb, resource, ...(namespace ? ["-n", namespace] : []), ...more])
  ).output.split("\n")[0]; // (a warning may follow: a cluster-scoped resource ignores -n)

before(async () => {
  cp = await startControlPlane({ node: true, installCrds: false });
  for (const name of ["tollgate-system", "team-a", "team-b"]) await createNamespace(cp, name);
  const installed = await helm([
    "install",
    "tollgate",
    CHART_DIR,
    "--namespace",
    "tollgate-system",
    "--kubeconfig",
    cp.kubeconfigPath,
  ]);
  assert.equal(installed.code, 0, installed.output);
  // Application teams: alice and bob edit team-a and team-b, carol views team-a.
  for (const [user, role, namespace] of [
    ["alice", "edit", "team-a"],
    ["bob", "edit", "team-b"],
    ["carol", "view", "team-a"],
  ] as const)
    await cp.kubectl([
      "create",
      "rolebinding",
      `${user}-${role}`,
      `--clusterrole=${role}`,
      `--user=${user}`,
      "-n",
      namespace,
    ]);
  // The aggregation is the controller-manager's, a moment after the ClusterRoles appear.
  await waitFor(
    "edit to include OAuthClients",
    async () => (await canI("alice", "create", "oauthclients.tollgate.dev", "team-a")) === "yes" || undefined,
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  // The admission policies compile a moment after they are created: wait for a refusal.
  await waitFor(
    "the subject confinement to refuse",
    async () =>
      (await postClient(cp, "team-a", "probe", { grantTypes: ["client_credentials"], subject: "x" }, true)).status ===
        403 || undefined,
    { timeoutMs: 30_000, intervalMs: 200 },
  );
});
after(() => cp?.stop());

test("the built-in edit, admin and view roles cover OAuthClients, not their status and not policies", async () => {
  assert.equal(await canI("alice", "create", "oauthclients.tollgate.dev", "team-a"), "yes");
  assert.equal(await canI("alice", "delete", "oauthclients.tollgate.dev", "team-a"), "yes");
  assert.equal(await canI("alice", "create", "oauthclients.tollgate.dev", "team-b"), "no");
  assert.equal(await canI("alice", "patch", "oauthclients.tollgate.dev", "team-a", "--subresource=status"), "no");
  assert.equal(await canI("alice", "create", "oauthclientpolicies.tollgate.dev", ""), "no");
  assert.equal(await canI("carol", "list", "oauthclients.tollgate.dev", "team-a"), "yes");
  assert.equal(await canI("carol", "create", "oauthclients.tollgate.dev", "team-a"), "no");
  const admin = await cp.kubectl(["get", "clusterrole", "admin", "-o", "jsonpath={.rules[*].resources}"]);
  assert.match(admin, /oauthclients/);
});

test("an editor declares clients whose subject is their namespace's, and is refused another's with the reason", async () => {
  const own = await kubectlAs(
    "alice",
    ["apply", "-n", "team-a", "-f", "-"],
    client("sync", { grantTypes: ["client_credentials"], subject: "team-a/svc-sync" }),
  );
  assert.equal(own.code, 0, own.output);
  assert.match(own.output, /oauthclient.tollgate.dev\/sync created/);
  const defaultId = await kubectlAs(
    "alice",
    ["apply", "-n", "team-a", "-f", "-"],
    client("web", { grantTypes: ["client_credentials"] }),
  );
  assert.equal(defaultId.code, 0, defaultId.output);

  const stolen = await kubectlAs(
    "alice",
    ["apply", "-n", "team-a", "-f", "-"],
    client("impostor", { grantTypes: ["client_credentials"], subject: "team-b/svc-payments" }),
  );
  assert.notEqual(stolen.code, 0);
  assert.match(stolen.output, /ValidatingAdmissionPolicy 'tollgate-subject-confinement'/);
  assert.match(stolen.output, /subject team-b\/svc-payments is outside namespace team-a/);
  const viaClientId = await kubectlAs(
    "alice",
    ["apply", "-n", "team-a", "-f", "-"],
    client("impostor", { grantTypes: ["client_credentials"], clientId: "payments.team-b" }),
  );
  assert.notEqual(viaClientId.code, 0);
  assert.match(viaClientId.output, /subject payments.team-b is outside namespace team-a/);
  assert.match(
    (await cp.kubectl(["get", "oauthclients", "-n", "team-a", "-o", "name"])).trim(),
    /^oauthclient.tollgate.dev\/sync\noauthclient.tollgate.dev\/web$/,
  );
});

test("the platform team grants a namespace a global subject by policy; the policy's message refuses the rest", async () => {
  await cp.kubectl(["label", "namespace", "team-b", "tollgate.dev/subject-confinement=off"]);
  await createPolicy(cp, "team-b-identities", {
    namespaces: { names: ["team-b"] },
    subjects: ["svc-payments", "{namespace}/*"],
    scopes: ["payments:*"],
  });
  await waitFor(
    "the policy to reach admission",
    async () =>
      (await postClient(cp, "team-b", "probe", { grantTypes: ["client_credentials"], subject: "svc-x" }, true))
        .status === 403 || undefined,
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  const granted = await kubectlAs(
    "bob",
    ["apply", "-n", "team-b", "-f", "-"],
    client("payments", { grantTypes: ["client_credentials"], subject: "svc-payments", scopes: ["payments:charge"] }),
  );
  assert.equal(granted.code, 0, granted.output);
  const refused = await kubectlAs(
    "bob",
    ["apply", "-n", "team-b", "-f", "-"],
    client("orders", { grantTypes: ["client_credentials"], subject: "svc-orders" }),
  );
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.output,
    /OAuthClientPolicy team-b-identities does not allow subject svc-orders in namespace team-b \(allowed: svc-payments, \{namespace\}\/\*\)/,
  );
  const scope = await kubectlAs(
    "bob",
    ["apply", "-n", "team-b", "-f", "-"],
    client("payments", {
      grantTypes: ["client_credentials"],
      subject: "svc-payments",
      scopes: ["payments:charge", "admin"],
    }),
  );
  assert.notEqual(scope.code, 0);
  assert.match(scope.output, /does not allow scopes admin in namespace team-b \(allowed: payments:\*\)/);

  // team-a is still confined: the subject granted to team-b is not team-a's to take.
  const thief = await kubectlAs(
    "alice",
    ["apply", "-n", "team-a", "-f", "-"],
    client("payments", { grantTypes: ["client_credentials"], subject: "svc-payments" }),
  );
  assert.notEqual(thief.code, 0);
  assert.match(thief.output, /subject svc-payments is outside namespace team-a/);
});

test("an edit that leaves spec alone passes, so a client a policy now refuses can still be labelled and deleted", async () => {
  await cp.kubectl(["label", "namespace", "team-b", "tollgate.dev/subject-confinement-"]);
  await waitFor(
    "the label's removal to reach admission",
    async () =>
      (await postClient(cp, "team-b", "probe", { grantTypes: ["client_credentials"], subject: "svc-payments" }, true))
        .status === 403 || undefined,
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  const labelled = await kubectlAs("bob", ["label", "oauthclient", "payments", "-n", "team-b", "team=payments"]);
  assert.equal(labelled.code, 0, labelled.output);
  const changed = await kubectlAs("bob", [
    "patch",
    "oauthclient",
    "payments",
    "-n",
    "team-b",
    "--type=merge",
    "-p",
    '{"spec":{"displayName":"Payments"}}',
  ]);
  assert.notEqual(changed.code, 0, "a spec change is checked against today's rules");
  assert.match(changed.output, /subject svc-payments is outside namespace team-b/);
  const deleted = await kubectlAs("bob", ["delete", "oauthclient", "payments", "-n", "team-b", "--wait=false"]);
  assert.equal(deleted.code, 0, deleted.output);
});

test("the controller-manager type-checks the admission policies without a warning", async () => {
  type Policies = {
    items: { metadata: { name: string }; status?: { typeChecking?: { expressionWarnings?: unknown[] } } }[];
  };
  const policies = await waitFor(
    "the type checks of both admission policies",
    async () => {
      const list = JSON.parse(await cp.kubectl(["get", "validatingadmissionpolicies", "-o", "json"])) as Policies;
      return list.items.length === 2 && list.items.every((p) => p.status?.typeChecking) ? list : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  for (const policy of policies.items)
    assert.deepEqual(policy.status?.typeChecking?.expressionWarnings ?? [], [], policy.metadata.name);
});
