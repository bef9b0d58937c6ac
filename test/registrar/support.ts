// The registrar's test world: a real API server with the chart's tenancy admission policies,
// an operator (so registered clients become Ready), a token server (so their credentials are
// used) and the registrar itself, running as the chart's registrar ServiceAccount under the
// chart's ClusterRole, so the RBAC the chart ships is the RBAC these tests exercise.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { RunningOperator } from "../../operator/operator.ts";
import { loadRegistrarConfig } from "../../registrar/config.ts";
import { type RunningRegistrar, startRegistrar } from "../../registrar/server.ts";
import type { RunningTokenServer } from "../../token-server/server.ts";
import { renderChart } from "../chart/render.ts";
import { api } from "../harness/kube-api.ts";
import { rememberCredential, testLogger } from "../harness/log-capture.ts";
import { freePort } from "../harness/processes.ts";
import { startTestOperator, startWorld, type World } from "../operator/support.ts";
import { applyChartTenancy } from "../tenancy/support.ts";
import { startTokenServerOn } from "../token-server/fixtures.ts";

export interface RegistrarWorld {
  world: World;
  operator: RunningOperator;
  tokenServer: RunningTokenServer;
  registrar: RunningRegistrar;
  /** POST /register (what discovery advertises as registration_endpoint). */
  registrationEndpoint: string;
  stop(): Promise<void>;
}

const RELEASE_NAMESPACE = "tollgate-system";

export async function startRegistrarWorld(): Promise<RegistrarWorld> {
  const world = await startWorld();
  const closers: (() => Promise<unknown>)[] = [() => world.stop()];
  const stop = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  };
  try {
    await applyChartTenancy(world.cp);
    const registrarToken = await installRegistrarRbac(world);
    const dir = mkdtempSync(join(tmpdir(), "tollgate-registrar-test-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, registrarKubeconfig(world, registrarToken));
    writeFileSync(join(dir, "key"), Buffer.from("0123456789abcdef0123456789abcdef-test-key"));
    const port = await freePort();
    const registrationEndpoint = `http://127.0.0.1:${port}/register`;
    const registrar = await startRegistrar(
      loadRegistrarConfig([
        "--kubeconfig",
        kubeconfig,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--registration-endpoint",
        registrationEndpoint,
        "--key-file",
        join(dir, "key"),
        "--ready-timeout",
        "8s",
      ]),
      testLogger("registrar", { level: "info" }),
    );
    closers.push(() => registrar.close());
    const tokenServer = await startTokenServerOn(world.redis.url, world.recordKeys, { registrationEndpoint });
    closers.push(() => tokenServer.close());
    // The subject confinement on, as shipped: registered clients' subjects are their client IDs.
    const operator = await startTestOperator(world, { issuer: tokenServer.url, subjectConfinement: true });
    closers.push(() => operator.stop());
    await operator.synced();
    return { world, operator, tokenServer, registrar, registrationEndpoint, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The chart's registrar ServiceAccount, ClusterRole and binding, applied as rendered; returns a token of that account. */
async function installRegistrarRbac(world: World): Promise<string> {
  const objects = (await renderChart(["registrar.enabled=true"], RELEASE_NAMESPACE)).filter(
    (o) =>
      ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"].includes(o.kind) &&
      o.metadata.labels?.["app.kubernetes.io/component"] === "registrar",
  );
  if (objects.length !== 3) throw new Error(`expected the registrar's 3 RBAC objects, rendered ${objects.length}`);
  await world.cp.kubectl(["create", "namespace", RELEASE_NAMESPACE]);
  await world.cp.kubectl(["apply", "-f", "-"], objects.map((o) => `---\n${stringify(o)}`).join(""));
  return serviceAccountToken(world, RELEASE_NAMESPACE, "tollgate-registrar");
}

function registrarKubeconfig(world: World, token: string): string {
  const cluster = world.cp.kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("no cluster in the admin kubeconfig");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "registrar", token }],
    contexts: [{ name: "registrar", cluster: cluster.name, user: "registrar" }],
    currentContext: "registrar",
  });
  return kc.exportConfig();
}

export async function serviceAccountToken(world: World, namespace: string, name: string): Promise<string> {
  const token = (await world.cp.kubectl(["create", "token", name, "-n", namespace, "--duration", "1h"])).trim();
  return rememberCredential(token);
}

/**
 * A namespace with two ServiceAccounts: `deployer`, allowed to manage OAuthClients and read
 * their Secrets there (what a CI pipeline gets), and `viewer`, allowed nothing.
 */
export async function teamNamespace(world: World, namespace: string) {
  await world.cp.kubectl(["create", "namespace", namespace]);
  await world.cp.kubectl(
    ["apply", "-f", "-"],
    [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "deployer", namespace } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "viewer", namespace } },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "oauthclient-manager", namespace },
        rules: [
          {
            apiGroups: ["tollgate.dev"],
            resources: ["oauthclients"],
            verbs: ["create", "get", "list", "update", "patch", "delete"],
          },
          { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
        ],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "deployer", namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "oauthclient-manager" },
        subjects: [{ kind: "ServiceAccount", name: "deployer", namespace }],
      },
    ]
      .map((o) => `---\n${stringify(o)}`)
      .join(""),
  );
  return {
    deployer: await serviceAccountToken(world, namespace, "deployer"),
    viewer: await serviceAccountToken(world, namespace, "viewer"),
  };
}

/** The OAuthClients in a namespace, read as the admin. */
export async function clientsIn(world: World, namespace: string): Promise<Record<string, unknown>[]> {
  const res = await api<{ items: Record<string, unknown>[] }>(
    world.cp.kubeConfig,
    "GET",
    `/apis/tollgate.dev/v1alpha1/namespaces/${namespace}/oauthclients`,
  );
  return res.body.items;
}

export interface RegistrationReply {
  status: number;
  body: Record<string, unknown>;
  challenge: string | null;
}

/** A plain HTTP call to the registrar, returning what a client sees. */
export async function call(
  method: string,
  url: string,
  bearer: string | undefined,
  body?: unknown,
): Promise<RegistrationReply> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    challenge: res.headers.get("www-authenticate"),
  };
}
