// The README's install section, as a test: `helm install` (namespaced RBAC), the
// operator and the token server started with the environment the chart gives their
// Deployments (there is no kubelet here, so the test runs the two processes itself,
// the operator under the chart's own ServiceAccount via the TokenRequest API), then
// `kubectl apply` an example, wait for Ready, and fetch a token with the Secret's
// credentials. It proves the chart's RBAC suffices for the whole reconcile and that
// namespaced mode cannot read Secrets elsewhere.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { AuthenticationV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "../harness/processes.ts";
import { startRedis, type TestRedis } from "../harness/redis.ts";
import { CHART_DIR, envOf, find, helm, renderChart } from "./render.ts";

const run = promisify(execFile);
const RELEASE_NS = "tollgate-system";
const MANAGED_NS = "team-a";
const OTHER_NS = "elsewhere";
const VALUES = ["rbac.mode=namespaced", `rbac.namespaces={${MANAGED_NS}}`];

let cp: ControlPlane;
let redis: TestRedis;
let issuer: string;
let saKubeconfig: string;
const processes: ManagedProcess[] = [];
const workDir = mkdtempSync(join(tmpdir(), "tollgate-chart-e2e-"));

const kubectl = (...args: string[]) => run(join(cp.binDir, "kubectl"), ["--kubeconfig", cp.kubeconfigPath, ...args]);

/** The env of a rendered Deployment, with fieldRefs and $(VAR) references resolved as the kubelet would. */
function deploymentEnv(
  objects: Awaited<ReturnType<typeof renderChart>>,
  name: string,
  podName: string,
): Record<string, string> {
  const [deployment] = find(objects, "Deployment", name);
  assert.ok(deployment, name);
  const env: Record<string, string> = {};
  for (const [key, entry] of envOf(deployment)) {
    const field = (entry.valueFrom as { fieldRef?: { fieldPath: string } } | undefined)?.fieldRef?.fieldPath;
    if (field === "metadata.namespace") env[key] = RELEASE_NS;
    else if (field === "metadata.name") env[key] = podName;
    else env[key] = (entry.value ?? "").replace(/\$\((\w+)\)/g, (_, ref: string) => env[ref] ?? "");
  }
  return env;
}

before(async () => {
  [cp, redis] = await Promise.all([startControlPlane({ installCrds: false }), startRedis()]);
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  for (const name of [RELEASE_NS, MANAGED_NS, OTHER_NS]) await core.createNamespace({ body: { metadata: { name } } });
  const port = await freePort();
  const managementPort = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  const installed = await helm([
    "install",
    "tollgate",
    CHART_DIR,
    "-n",
    RELEASE_NS,
    "--kubeconfig",
    cp.kubeconfigPath,
    ...VALUES.flatMap((v) => ["--set", v]),
    "--set",
    `issuer=${issuer}`,
  ]);
  assert.equal(installed.code, 0, installed.output);

  // Act as the chart's ServiceAccount, the way the pod would.
  const auth = cp.kubeConfig.makeApiClient(CoreV1Api);
  const tokenRequest = await auth.createNamespacedServiceAccountToken({
    name: "tollgate-operator",
    namespace: RELEASE_NS,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  saKubeconfig = join(workDir, "operator-sa.kubeconfig");
  const admin = await import("node:fs").then((fs) => fs.readFileSync(cp.kubeconfigPath, "utf8"));
  writeFileSync(saKubeconfig, admin.replace(/token: .*/, `token: ${tokenRequest.status?.token}`), { mode: 0o600 });
  const whoami = await cp.kubeConfig.makeApiClient(AuthenticationV1Api).createTokenReview({
    body: { spec: { token: tokenRequest.status?.token ?? "" } },
  });
  assert.equal(whoami.status?.user?.username, `system:serviceaccount:${RELEASE_NS}:tollgate-operator`);

  const objects = await renderChart([...VALUES, `issuer=${issuer}`], RELEASE_NS);
  const nodeBin = process.execPath;
  const entrypoint = new URL("../../bin/tollgate.ts", import.meta.url).pathname;
  const operatorEnv = {
    ...deploymentEnv(objects, "tollgate-operator", "tollgate-operator-0"),
    KUBECONFIG: saKubeconfig,
    TOLLGATE_REDIS_URL: redis.url,
    TOLLGATE_METRICS_HOST: "127.0.0.1",
    TOLLGATE_METRICS_PORT: "0",
  };
  processes.push(
    startProcess(nodeBin, [entrypoint, "operator"], join(workDir, "operator.log"), {
      PATH: process.env.PATH,
      ...operatorEnv,
    }),
  );

  // The kubelet's part: project the Secrets the operator writes (signing keys, registry record keys) into files.
  const project = async (secret: string): Promise<string> => {
    const dir = join(workDir, secret);
    const read = await waitFor(`the operator to create the ${secret} Secret`, async () => {
      try {
        return await core.readNamespacedSecret({ name: secret, namespace: RELEASE_NS });
      } catch {
        return undefined;
      }
    });
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    for (const [file, value] of Object.entries(read.data ?? {}))
      writeFileSync(join(dir, file), Buffer.from(value, "base64"));
    return dir;
  };
  const keysDir = await project("tollgate-signing-keys");
  const recordKeysDir = await project("tollgate-registry-keys");

  const tokenServerEnv = {
    ...deploymentEnv(objects, "tollgate-token-server", "tollgate-token-server-0"),
    TOLLGATE_HOST: "127.0.0.1",
    TOLLGATE_PORT: String(port),
    TOLLGATE_MANAGEMENT_PORT: String(managementPort),
    TOLLGATE_SIGNING_KEYS_DIR: keysDir,
    TOLLGATE_REGISTRY_KEYS_DIR: recordKeysDir,
    TOLLGATE_REDIS_URL: redis.url,
  };
  assert.equal(tokenServerEnv["TOLLGATE_ISSUER" as keyof typeof tokenServerEnv], issuer);
  processes.push(
    startProcess(nodeBin, [entrypoint, "token-server"], join(workDir, "token-server.log"), {
      PATH: process.env.PATH,
      ...tokenServerEnv,
    }),
  );
  await waitFor(
    "the token server to be ready",
    async () => (await fetch(`http://127.0.0.1:${managementPort}/readyz`).catch(() => undefined))?.ok || undefined,
  );
});

after(async () => {
  for (const p of processes) await p.stop();
  await Promise.all([cp?.stop(), redis?.stop()]);
});

test("apply an example, watch it become Ready, fetch a token with the Secret's credentials", async () => {
  const example = new URL("../../examples/client-credentials.yaml", import.meta.url).pathname;
  await kubectl("apply", "-n", MANAGED_NS, "-f", example);
  await kubectl("wait", "-n", MANAGED_NS, "--for=condition=Ready", "oauthclient/orders-sync", "--timeout=60s");
  const { stdout } = await kubectl("get", "oauthclients", "-n", MANAGED_NS);
  assert.match(stdout, /orders-sync\s+orders-sync\.team-a\s+\["client_credentials"\]\s+True/);

  const secret = await cp.kubeConfig
    .makeApiClient(CoreV1Api)
    .readNamespacedSecret({ name: "orders-sync-oauth-client", namespace: MANAGED_NS });
  const data = (key: string) => Buffer.from(secret.data?.[key] ?? "", "base64").toString();
  assert.equal(data("TOKEN_ENDPOINT"), `${issuer}/oauth2/token`);
  const response = await fetch(data("TOKEN_ENDPOINT"), {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(data("CLIENT_ID"))}:${encodeURIComponent(data("CLIENT_SECRET"))}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials&scope=orders%3Aread",
  });
  const body = (await response.json()) as { access_token: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${issuer}/oauth2/jwks`)), {
    issuer,
    audience: "https://orders.example.com",
    typ: "at+jwt",
  });
  assert.equal(payload.sub, "orders-sync.team-a", "the client ID: the example sets no subject");
  assert.equal(payload["tollgate.dev/namespace"], "team-a");
  assert.equal(payload.client_id, "orders-sync.team-a");
});

test("namespaced mode: the operator's ServiceAccount cannot read Secrets or reconcile outside its namespaces", async () => {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({
    namespace: OTHER_NS,
    body: { metadata: { name: "not-yours" }, stringData: { a: "b" } },
  });
  const denied = await run(join(cp.binDir, "kubectl"), [
    "--kubeconfig",
    saKubeconfig,
    "get",
    "secret",
    "not-yours",
    "-n",
    OTHER_NS,
  ]).then(
    () => assert.fail("the operator's ServiceAccount read a Secret outside its namespaces"),
    (error: { stderr: string }) => error.stderr,
  );
  assert.match(denied, /forbidden/i);
  const can = await run(join(cp.binDir, "kubectl"), [
    "--kubeconfig",
    saKubeconfig,
    "auth",
    "can-i",
    "list",
    "secrets",
    "-n",
    MANAGED_NS,
  ]);
  assert.equal(can.stdout.trim(), "yes");

  const example = new URL("../../examples/client-credentials.yaml", import.meta.url).pathname;
  await kubectl("apply", "-n", OTHER_NS, "-f", example);
  await new Promise((r) => setTimeout(r, 3000));
  const objects = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const unmanaged = (await objects.getNamespacedCustomObject({
    group: "tollgate.dev",
    version: "v1alpha1",
    namespace: OTHER_NS,
    plural: "oauthclients",
    name: "orders-sync",
  })) as { status?: unknown; metadata: { finalizers?: string[] } };
  assert.deepEqual(
    unmanaged.status,
    { observedGeneration: 0 },
    "an OAuthClient outside the operator's namespaces is left alone (the CRD's default status only)",
  );
  assert.equal(unmanaged.metadata.finalizers, undefined);
});

test("rotate and delete under the chart's RBAC", async () => {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const read = async () =>
    Buffer.from(
      (await core.readNamespacedSecret({ name: "orders-sync-oauth-client", namespace: MANAGED_NS })).data
        ?.CLIENT_SECRET ?? "",
      "base64",
    ).toString();
  const before = await read();
  await kubectl(
    "annotate",
    "-n",
    MANAGED_NS,
    "oauthclient/orders-sync",
    "tollgate.dev/rotate-secret=now-1",
    "--overwrite",
  );
  await waitFor("the secret to rotate", async () => ((await read()) !== before ? true : undefined));
  await kubectl("delete", "-n", MANAGED_NS, "oauthclient/orders-sync", "--timeout=60s");
  const left = await kubectl("get", "oauthclients", "-n", MANAGED_NS, "-o", "name");
  assert.equal(left.stdout.trim(), "", "the finalizer was released and the resource is gone");
});

test("helm upgrade keeps the generated Redis passwords (read back with lookup), so running pods keep their access", async () => {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const read = async () =>
    (await core.readNamespacedSecret({ name: "tollgate-redis-auth", namespace: RELEASE_NS })).data;
  const before = await read();
  assert.match(Buffer.from(before?.["operator-password"] ?? "", "base64").toString(), /^[A-Za-z0-9]{32}$/);
  const upgraded = await helm([
    "upgrade",
    "tollgate",
    CHART_DIR,
    "-n",
    RELEASE_NS,
    "--kubeconfig",
    cp.kubeconfigPath,
    ...VALUES.flatMap((v) => ["--set", v]),
    "--set",
    `issuer=${issuer}`,
  ]);
  assert.equal(upgraded.code, 0, upgraded.output);
  assert.deepEqual(await read(), before);
});
