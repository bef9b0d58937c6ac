// The chart on the real API server: rendered objects pass server-side dry-run with
// strict field validation, and `helm install` creates them for real (CRD included).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.ts";
import { CHART_DIR, EVERY_CONVENTION, helm, helmBinary } from "./render.ts";

const run = promisify(execFile);

/** `helm template ... | kubectl apply --dry-run=server --validate=strict -f -` */
async function dryRunApply(cp: ControlPlane, set: string[]): Promise<{ code: number; output: string }> {
  const args = ["template", "tollgate", CHART_DIR, "--namespace", "tollgate-system", "--kube-version", "1.36.3"];
  for (const value of set) args.push("--set", value);
  const { stdout: manifest } = await run(helmBinary(), args, { maxBuffer: 16 << 20 });
  return kubectlWithInput(cp, ["apply", "--dry-run=server", "--validate=strict", "-f", "-"], manifest);
}

function kubectlWithInput(cp: ControlPlane, args: string[], input: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const kubectl = spawn(join(cp.binDir, "kubectl"), ["--kubeconfig", cp.kubeconfigPath, ...args]);
    let output = "";
    kubectl.stdout.on("data", (d) => {
      output += d;
    });
    kubectl.stderr.on("data", (d) => {
      output += d;
    });
    kubectl.on("close", (code) => resolve({ code: code ?? 1, output }));
    kubectl.stdin.end(input);
  });
}

describe("the chart on a real API server", () => {
  let cp: ControlPlane;
  /** helm on the release "tollgate" in tollgate-system of this control plane: `helm VERB tollgate ...rest`. */
  const release = (verb: string, ...rest: string[]) =>
    helm([verb, "tollgate", ...rest, "--namespace", "tollgate-system", "--kubeconfig", cp.kubeconfigPath]);
  const kubectl = (...args: string[]) => run(join(cp.binDir, "kubectl"), ["--kubeconfig", cp.kubeconfigPath, ...args]);
  before(async () => {
    // No CRDs: `helm install` must bring its own.
    cp = await startControlPlane({ installCrds: false });
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    for (const name of ["tollgate-system", "team-a", "team-b"])
      await core.createNamespace({ body: { metadata: { name } } });
  });
  after(() => cp?.stop());

  const combos: Record<string, string[]> = {
    "cluster-wide RBAC, bundled Redis": [],
    "namespaced RBAC, external Redis, ingress, autoscaling": [
      "rbac.mode=namespaced",
      "rbac.namespaces={team-a,team-b}",
      "redis.mode=external",
      "redis.external.url=redis://redis.example:6379",
      "redis.external.passwordSecret.name=redis-auth",
      "issuer=https://auth.example.com",
      "ingress.enabled=true",
      "ingress.host=auth.example.com",
      "tokenServer.autoscaling.enabled=true",
    ],
    "every convention the chart offers": EVERY_CONVENTION,
    "token server TLS from a Secret": ["tokenServer.tls.secretName=tollgate-tls", "tokenServer.service.port=443"],
    "the registrar, behind the Ingress": [
      "registrar.enabled=true",
      "issuer=https://auth.example.com",
      "ingress.enabled=true",
      "ingress.host=auth.example.com",
    ],
  };
  for (const [name, set] of Object.entries(combos)) {
    test(`server-side dry-run with strict validation: ${name}`, async () => {
      const { code, output } = await dryRunApply(cp, set);
      assert.equal(code, 0, output);
      assert.match(output, /deployment\.apps\/tollgate-operator created \(server dry run\)/);
      assert.doesNotMatch(output, /unknown field|Warning/i);
    });
  }

  test("helm install creates the CRD, the workloads and least-privilege RBAC", async () => {
    const { code, output } = await release("install", CHART_DIR, "--set", "issuer=https://auth.example.com");
    assert.equal(code, 0, output);
    assert.match(output, /STATUS: deployed/);
    assert.match(output, /kubectl get oauthclients/, "NOTES.txt tells the installer what to do next");
    const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    const operator = await apps.readNamespacedDeployment({ name: "tollgate-operator", namespace: "tollgate-system" });
    assert.equal(operator.spec?.replicas, 2);
    assert.equal(operator.spec?.template.spec?.serviceAccountName, "tollgate-operator");
    await apps.readNamespacedDeployment({ name: "tollgate-token-server", namespace: "tollgate-system" });
    await apps.readNamespacedStatefulSet({ name: "tollgate-redis", namespace: "tollgate-system" });
    const rbac = cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const role = await rbac.readClusterRole({ name: "tollgate-operator" });
    assert.ok(role.rules?.some((r) => r.resources?.includes("oauthclients/status")));
    const { stdout } = await kubectl("get", "crd", "-o", "name");
    assert.match(stdout, /customresourcedefinition\.apiextensions\.k8s\.io\/oauthclients\.tollgate\.dev/);
    // Artifact Hub's example in Chart.yaml is one the CRD accepts.
    const chart = parse(readFileSync(join(CHART_DIR, "Chart.yaml"), "utf8")) as { annotations: Record<string, string> };
    const examples = parse(chart.annotations["artifacthub.io/crdsExamples"] ?? "[]") as unknown[];
    const manifest = examples.map((example) => stringify(example)).join("---\n");
    const dryRun = await kubectlWithInput(
      cp,
      ["apply", "--dry-run=server", "--validate=strict", "-n", "team-a", "-f", "-"],
      manifest,
    );
    assert.equal(dryRun.code, 0, dryRun.output);
  });

  test("helm upgrade brings an outdated installed CRD up to the chart's", async () => {
    const crdName = "oauthclients.tollgate.dev";
    const extensions = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const specProperties = async () => {
      const crd = await extensions.readCustomResourceDefinition({ name: crdName });
      return Object.keys(crd.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec?.properties ?? {});
    };
    // An older release's CRD: one field fewer than today's.
    const installed = await extensions.readCustomResourceDefinition({ name: crdName });
    const props = installed.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec?.properties ?? {};
    delete props.skipConsent;
    await extensions.replaceCustomResourceDefinition({ name: crdName, body: installed });
    assert.ok(!(await specProperties()).includes("skipConsent"));
    const { code, output } = await release("upgrade", CHART_DIR, "--reuse-values", "--force-conflicts");
    assert.equal(code, 0, output);
    assert.ok((await specProperties()).includes("skipConsent"));
  });

  test("helm uninstall keeps the CRD (crds.keep) and so every OAuthClient", async () => {
    const { code, output } = await release("uninstall", "--wait");
    assert.equal(code, 0, output);
    assert.match(output, /kept due to the resource policy/);
    const extensions = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
    const crd = await extensions.readCustomResourceDefinition({ name: "oauthclients.tollgate.dev" });
    assert.equal(crd.metadata?.deletionTimestamp, undefined);
  });

  test("a CRD applied by hand: helm install refuses it until the README's two commands adopt it", async () => {
    const crdFile = join(import.meta.dirname, "..", "..", "crds", "tollgate.dev_oauthclients.yaml");
    await kubectl("delete", "crd", "oauthclients.tollgate.dev");
    const applied = await kubectl("apply", "--server-side", "-f", crdFile);
    assert.match(applied.stdout, /serverside-applied/);
    const refused = await release("install", CHART_DIR);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /oauthclients\.tollgate\.dev.*(ownership|exists)/);
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    const commands = [...readme.matchAll(/`(kubectl (?:label|annotate) crd [^`]+)`/g)].map((m) => m[1] as string);
    assert.equal(commands.length, 2, "the README names the two commands");
    for (const command of commands) await kubectl(...command.split(" ").slice(1));
    const adopted = await release("install", CHART_DIR);
    assert.equal(adopted.code, 0, adopted.output);
  });
});
