// The registrar as the chart ships it, on a real node: the image from the Dockerfile, `helm
// install --set registrar.enabled=true` in a namespace enforcing the restricted Pod Security
// Standard, the registrar pod running under the chart's ServiceAccount, RBAC and mounted key.
// A ServiceAccount registers a client through the registrar's Service, the token server's
// Service issues a token to the returned credentials, and RFC 7592 deletes it again.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.ts";
import { rememberCredential } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { buildImages, chartImageValues } from "../image/images.ts";
import { basic } from "../token-server/fixtures.ts";
import { call } from "./support.ts";

const run = promisify(execFile);
const NS = "tollgate-system";
let cp: ControlPlane;
const home = mkdtempSync(join(tmpdir(), "tollgate-registrar-node-"));

const env = () => ({
  ...process.env,
  PATH: `${cp.binDir}:${process.env.PATH}`,
  KUBECONFIG: cp.kubeconfigPath,
  HOME: home,
});
const kubectl = async (...args: string[]) => (await run("kubectl", args, { env: env() })).stdout;

async function clusterIp(service: string): Promise<string> {
  return (await kubectl("get", "service", service, "-n", NS, "-o", "jsonpath={.spec.clusterIP}")).trim();
}

before(async () => {
  cp = await startControlPlane({ node: true, installCrds: false });
  const images = buildImages();
  for (const image of [images.tollgate, images.redis]) await cp.node?.importImage(image.archive);
  await kubectl("create", "namespace", NS);
  await kubectl("label", "namespace", NS, "pod-security.kubernetes.io/enforce=restricted");
  const set = [
    ...chartImageValues(images.tollgate),
    "operator.replicas=1",
    "tokenServer.replicas=1",
    "registrar.enabled=true",
  ];
  await run(
    "helm",
    [
      "install",
      "tollgate",
      "charts/tollgate",
      "-n",
      NS,
      "--wait",
      "--timeout",
      "5m",
      ...set.flatMap((v) => ["--set", v]),
    ],
    { env: env(), cwd: join(import.meta.dirname, "..", ".."), maxBuffer: 16 << 20 },
  );
});

after(async () => {
  await cp?.stop();
  rmSync(home, { recursive: true, force: true });
});

test("a ServiceAccount registers through the registrar pod, gets a token from the token server pod, deletes it by RFC 7592", async () => {
  const started = Date.now();
  const mark = (step: string) =>
    console.log(`[registrar on node] ${step} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const registrarPod = JSON.parse(
    await kubectl("get", "pods", "-n", NS, "-l", "app.kubernetes.io/component=registrar", "-o", "json"),
  ) as { items: { status: { containerStatuses: { ready: boolean; restartCount: number }[] } }[] };
  assert.equal(registrarPod.items.length, 1);
  assert.deepEqual(
    registrarPod.items[0]?.status.containerStatuses.map((s) => [s.ready, s.restartCount]),
    [[true, 0]],
    "Ready through its own probe, under the restricted Pod Security Standard",
  );

  await kubectl("create", "namespace", "team-a");
  const rbac = [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ci", namespace: "team-a" } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "ci-edit", namespace: "team-a" },
      // The built-in `edit` role: the chart aggregates OAuthClient management into it.
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
      subjects: [{ kind: "ServiceAccount", name: "ci", namespace: "team-a" }],
    },
  ];
  const apply = execFile("kubectl", ["apply", "-f", "-"], { env: env() });
  apply.stdin?.end(rbac.map((o) => `---\n${stringify(o)}`).join(""));
  await new Promise((resolve, reject) => apply.on("exit", (code) => (code === 0 ? resolve(code) : reject(code))));
  const token = rememberCredential((await kubectl("create", "token", "ci", "-n", "team-a")).trim());

  mark("ServiceAccount and token ready");
  const registrar = `http://${await clusterIp("tollgate-registrar")}`;
  const tokenServer = `http://${await clusterIp("tollgate-token-server")}`;
  const discovery = (await (await fetch(`${tokenServer}/.well-known/oauth-authorization-server`)).json()) as {
    registration_endpoint?: string;
  };
  assert.equal(discovery.registration_endpoint, `http://tollgate-registrar.${NS}.svc/register`);

  mark("discovery read");
  // The edit role's aggregation is the controller-manager's: wait until it includes OAuthClients.
  const created = await waitFor(
    "a registration as team-a/ci",
    async () => {
      const res = await call("POST", `${registrar}/register`, token, {
        client_name: "Node Sync",
        grant_types: ["client_credentials"],
        scope: "sync",
      });
      return res.status === 403 ? undefined : res;
    },
    { timeoutMs: 60_000, intervalMs: 1000 },
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  mark("registered");
  const secret = rememberCredential(String(created.body.client_secret));
  const accessToken = rememberCredential(String(created.body.registration_access_token));
  const clientId = String(created.body.client_id);
  assert.match(clientId, /^node-sync-[a-z0-9]{5}\.team-a$/);

  const tokenResponse = async () =>
    fetch(`${tokenServer}/oauth2/token`, {
      method: "POST",
      headers: { authorization: basic(clientId, secret), "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
  const issued = await waitFor(
    "the token server pod to know the client",
    async () => ((await tokenResponse()).status === 200 ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  assert.ok(issued);

  mark("token issued");
  const uri = new URL(String(created.body.registration_client_uri));
  assert.equal(uri.origin, `http://tollgate-registrar.${NS}.svc`);
  const deleted = await call("DELETE", `${registrar}${uri.pathname}`, accessToken);
  assert.equal(deleted.status, 204);
  await waitFor(
    "the token server pod to refuse the deleted client",
    async () => ((await tokenResponse()).status === 401 ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  mark("deleted client refused");
});
