// The chart as it ships: the image built from the Dockerfile (test/image/build.sh), loaded
// into a real node's containerd, installed by `helm install` and run by the kubelet as
// pods in a namespace that enforces the restricted Pod Security Standard. Everything a
// user would see: pods Ready through their own probes, `helm test`, the README's install
// section run as written, a leader pod deleted, a rolling upgrade under token load with
// no failed request (onto a PriorityClass), a private CA brought by extraObjects, extraVolumes
// and extraEnv, and the chart's memory limits holding at 1,000 clients.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { AppsV1Api, SchedulingV1Api, type V1Pod } from "@kubernetes/client-node";
import { createLocalJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { stringify } from "yaml";
import { GROUP, type OAuthClient, PLURAL, VERSION } from "../../api/v1alpha1/oauthclient.ts";
import { type KubeClients, makeClients } from "../../operator/kube.ts";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.ts";
import { httpsRequest } from "../harness/https-request.ts";
import { countReadyClients } from "../harness/oauth-clients.ts";
import { waitFor } from "../harness/processes.ts";
import { type BuiltImages, buildImages, chartImageValues } from "../image/images.ts";
import { basic } from "../token-server/fixtures.ts";

const run = promisify(execFile);
const REPO = join(import.meta.dirname, "..", "..");
const RELEASE = "tollgate";
const NS = "tollgate-system";
const TOKEN_SERVER = "tollgate-token-server";
const OPERATOR = "tollgate-operator";
/** Clients reconciled by the operator pod for the memory proof (the reconcile benchmark's size). */
const SCALE_CLIENTS = Number(process.env.TOLLGATE_NODE_CLIENTS ?? 1000);

let cp: ControlPlane;
let kube: KubeClients;
let apps: AppsV1Api;
let images: BuiltImages;
const home = mkdtempSync(join(tmpdir(), "tollgate-on-node-"));

/** The shell a person would use: helm and kubectl on the PATH, KUBECONFIG set. */
function shellEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${cp.binDir}:${process.env.PATH}`,
    KUBECONFIG: cp.kubeconfigPath,
    HOME: home,
  };
}

/** The tag of the image build.sh made: the only value a user would also set for their registry. */
function imageValues(): string[] {
  return chartImageValues(images.tollgate).flatMap((value) => ["--set", value]);
}

async function helm(args: string[]): Promise<string> {
  const { stdout } = await run("helm", args, { env: shellEnv(), cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function pods(selector: string): Promise<V1Pod[]> {
  return (await kube.core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
}

const isReady = (pod: V1Pod) =>
  pod.metadata?.deletionTimestamp === undefined &&
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;

async function leaseHolder(): Promise<string | undefined> {
  const lease = await kube.coordination.readNamespacedLease({ namespace: NS, name: "tollgate-operator" });
  return lease.spec?.holderIdentity || undefined;
}

async function clusterIp(service: string): Promise<string> {
  const svc = await kube.core.readNamespacedService({ namespace: NS, name: service });
  return svc.spec?.clusterIP as string;
}

async function secretData(namespace: string, name: string): Promise<Record<string, string>> {
  const secret = await kube.core.readNamespacedSecret({ namespace, name });
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
}

async function createClient(namespace: string, name: string, spec: OAuthClient["spec"]): Promise<void> {
  await kube.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: "OAuthClient", metadata: { name, namespace }, spec },
  });
}

/** A keep-alive token load through the Service's ClusterIP until `until` resolves; every failure is counted. */
async function tokenLoad(
  url: string,
  credentials: { id: string; secret: string }[],
  workers: number,
  until: Promise<unknown>,
): Promise<{ ok: number; failed: string[] }> {
  const tally = { ok: 0, failed: [] as string[] };
  let stop = false;
  void until.finally(() => {
    stop = true;
  });
  let turn = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stop) {
        const { id, secret } = credentials[turn++ % credentials.length] as { id: string; secret: string };
        try {
          const res = await fetch(`${url}/oauth2/token`, {
            method: "POST",
            headers: {
              authorization: basic(id, secret),
              "content-type": "application/x-www-form-urlencoded",
            },
            body: "grant_type=client_credentials",
            signal: AbortSignal.timeout(10_000),
          });
          const body = await res.text();
          if (res.status === 200) tally.ok += 1;
          else tally.failed.push(`HTTP ${res.status} ${body.slice(0, 120)}`);
        } catch (error) {
          const cause = (error as { cause?: { code?: string; message?: string } }).cause;
          tally.failed.push(String(cause?.code ?? cause?.message ?? error));
        }
      }
    }),
  );
  return tally;
}

/** The kernel's figures for a pod's main container process, read on the node (the host). */
async function containerMemory(pod: V1Pod): Promise<{ peakRss: number }> {
  const id = pod.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, "") ?? "";
  const tasks = await cp.node?.ctr(["tasks", "ls"]);
  const pid = (tasks ?? "")
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find(([task]) => task === id)?.[1];
  assert.ok(pid, `no running task for ${pod.metadata?.name} (${id})`);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  return { peakRss: kib * 1024 };
}

function assertNoRestarts(all: V1Pod[]): void {
  for (const pod of all)
    for (const status of pod.status?.containerStatuses ?? []) {
      assert.equal(
        status.restartCount,
        0,
        `${pod.metadata?.name}/${status.name} restarted: ${JSON.stringify(status.lastState)}`,
      );
      assert.notEqual(status.lastState?.terminated?.reason, "OOMKilled");
    }
}

/** A Kubernetes memory quantity in bytes (the binary suffixes the chart uses). */
function quantityBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  assert.ok(match, `a memory limit is set (got ${quantity})`);
  const unit: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, "": 1 };
  return Number(match[1]) * (unit[match[2] ?? ""] ?? 1);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

before(async () => {
  // No CRD: the chart brings its own (a CRD applied beforehand would need adopting, as the README says).
  cp = await startControlPlane({ node: true, installCrds: false });
  kube = makeClients(cp.kubeConfig);
  apps = cp.kubeConfig.makeApiClient(AppsV1Api);
  images = buildImages();
  for (const image of [images.tollgate, images.redis]) await cp.node?.importImage(image.archive);
  // The platform's namespace policy: every pod of the release must pass `restricted`.
  await kube.core.createNamespace({
    body: {
      metadata: {
        name: NS,
        labels: {
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
        },
      },
    },
  });
});

after(async () => {
  await cp?.stop();
  rmSync(home, { recursive: true, force: true });
});

test("the README's install section, as written, against the chart's pods on the node", async () => {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Install on a cluster with Helm"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "the README has an install block");
  // The one difference from a user's shell: the image is the one built here, not a registry's.
  const script = `set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
helm() { if [ "$1" = install ]; then command helm "$@" ${imageValues().join(" ")}; else command helm "$@"; fi; }
${block}`;
  const { stdout } = await run("bash", ["-c", script], {
    env: shellEnv(),
    cwd: REPO,
    timeout: 10 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const jsonLines = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const token = jsonLines.find((j) => typeof j.access_token === "string")?.access_token as string;
  const jwks = jsonLines.find((j) => Array.isArray(j.keys)) as { keys: [] } | undefined;
  assert.ok(token && jwks, `a token and the JWKS were printed:\n${stdout}`);
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: `http://${TOKEN_SERVER}.${NS}.svc`,
    audience: "https://orders.example.com",
    typ: "at+jwt",
  });
  assert.equal(payload.sub, "orders-sync.team-a");
  assert.equal(payload["tollgate.dev/namespace"], "team-a");
  assert.equal(payload.scope, "orders:read");
  assert.equal(protectedHeader.alg, "ES256");

  // What `helm install --wait` promised: every workload up through its own probes.
  for (const name of [OPERATOR, TOKEN_SERVER]) {
    const deployment = await apps.readNamespacedDeployment({ namespace: NS, name });
    assert.ok(
      deployment.status?.conditions?.some((c) => c.type === "Available" && c.status === "True"),
      `${name} Available`,
    );
    assert.equal(deployment.status?.readyReplicas, deployment.spec?.replicas);
  }
  const redis = await apps.readNamespacedStatefulSet({ namespace: NS, name: "tollgate-redis" });
  assert.equal(redis.status?.readyReplicas, 1);
  const claims = await kube.core.listNamespacedPersistentVolumeClaim({ namespace: NS });
  assert.ok(claims.items.length > 0 && claims.items.every((c) => c.status?.phase === "Bound"), "Redis's PVC Bound");
  const all = await pods(`app.kubernetes.io/instance=${RELEASE}`);
  assert.equal(all.length, 5, "2 operators, 2 token servers, 1 Redis");
  assert.ok(all.every(isReady), "every pod Ready");
  for (const pod of all) assert.equal(pod.spec?.securityContext?.runAsNonRoot, true);
  assertNoRestarts(all);
});

test("helm test passes", async () => {
  const out = await helm(["test", RELEASE, "--namespace", NS, "--timeout", "3m"]);
  assert.match(out, /Phase:\s+Succeeded/);
});

test("the installed Redis: ACL users with the generated passwords, sealed records, NetworkPolicies in place", async () => {
  const [redis] = await pods("app.kubernetes.io/component=redis");
  assert.ok(redis?.metadata?.name);
  const passwords = await secretData(NS, `${RELEASE}-redis-auth`);
  const cli = async (...args: string[]) => {
    const { stdout, stderr } = await run(
      "kubectl",
      [
        "exec",
        "-n",
        NS,
        redis.metadata?.name as string,
        "-c",
        "redis",
        "--",
        "redis-cli",
        "--no-auth-warning",
        ...args,
      ],
      { env: shellEnv() },
    ).catch((error: { stdout: string; stderr: string }) => error);
    return `${stdout}${stderr}`.trim();
  };
  const as = (user: string, key: string) => ["--user", user, "--pass", passwords[key] as string];
  const operator = as("tollgate-operator", "operator-password");
  const tokenServer = as("tollgate-token-server", "token-server-password");
  assert.match(await cli("hgetall", "tollgate:registry:{v1}:clients"), /NOPERM/, "no password, no registry");
  assert.match(await cli(...tokenServer, "hset", "tollgate:registry:{v1}:clients", "forged", "{}"), /NOPERM/);
  assert.match(await cli(...operator, "get", "tollgate:state:v1:revoked:x"), /NOPERM/);
  assert.match(await cli(...operator, "flushall"), /NOPERM/);
  // The README's client, as the operator wrote it: MAC'd, and readable by the token server's user.
  assert.match(await cli(...tokenServer, "hget", "tollgate:registry:{v1}:clients", "orders-sync.team-a"), /^mac1\./);
  const { stdout: policies } = await run("kubectl", ["get", "networkpolicies", "-n", NS, "-o", "name"], {
    env: shellEnv(),
  });
  assert.deepEqual(policies.trim().split("\n").sort(), [
    `networkpolicy.networking.k8s.io/${OPERATOR}`,
    `networkpolicy.networking.k8s.io/${RELEASE}-redis`,
    `networkpolicy.networking.k8s.io/${TOKEN_SERVER}`,
  ]);
  // (The test node's bridge CNI does not enforce NetworkPolicy: that they block is not testable here.)
});

test("deleting the leader operator pod: the other replica takes over and nothing is regenerated", async () => {
  const before = await secretData("team-a", "orders-sync-oauth-client");
  const keysBefore = await secretData(NS, "tollgate-signing-keys");
  const leader = (await leaseHolder()) as string;
  assert.ok(leader, "a replica leads");
  await kube.core.deleteNamespacedPod({ namespace: NS, name: leader });
  const successor = await waitFor(
    "another replica to lead",
    async () => {
      const holder = await leaseHolder();
      return holder && holder !== leader ? holder : undefined;
    },
    { timeoutMs: 120_000 },
  );
  assert.ok((await pods(`app.kubernetes.io/component=operator`)).some((p) => p.metadata?.name === successor));
  await createClient("team-a", "after-failover", {
    grantTypes: ["client_credentials"],
    subject: "team-a/svc-after-failover",
  } as OAuthClient["spec"]);
  await waitFor("the new client Ready", async () => {
    const item = (await kube.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: "team-a",
      plural: PLURAL,
      name: "after-failover",
    })) as OAuthClient;
    return item.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") || undefined;
  });
  assert.deepEqual(await secretData("team-a", "orders-sync-oauth-client"), before, "the client's Secret is unchanged");
  assert.deepEqual(await secretData(NS, "tollgate-signing-keys"), keysBefore, "the signing keys are unchanged");
  await waitFor(
    "the Deployment back to 2 ready operators",
    async () => (await pods("app.kubernetes.io/component=operator")).filter(isReady).length === 2 || undefined,
    { timeoutMs: 180_000 },
  );
});

test("a rolling helm upgrade of the token server under token load: zero failed requests", async () => {
  const creds = await secretData("team-a", "orders-sync-oauth-client");
  const url = `http://${await clusterIp(TOKEN_SERVER)}`;
  const oldPods = new Set((await pods("app.kubernetes.io/component=token-server")).map((p) => p.metadata?.name));
  // The upgrade also moves the token server to a PriorityClass: the node's admission and scheduler take it.
  await cp.kubeConfig
    .makeApiClient(SchedulingV1Api)
    .createPriorityClass({ body: { metadata: { name: "tollgate-critical" }, value: 1_000_000 } });
  const upgrade = helm([
    ...["upgrade", RELEASE, "charts/tollgate", "--namespace", NS, "--reuse-values"],
    ...["--set", "tokenServer.logLevel=debug", "--set", "tokenServer.priorityClassName=tollgate-critical"],
    ...["--wait", "--timeout", "5m"],
  ]);
  // Keep the load on a few seconds past the rollout, so the last old pod's drain is covered too.
  const settled = upgrade.then(() => new Promise((resolve) => setTimeout(resolve, 5000)));
  const load = await tokenLoad(
    url,
    [{ id: creds.CLIENT_ID as string, secret: creds.CLIENT_SECRET as string }],
    8,
    settled,
  );
  await upgrade;
  const newPods = (await pods("app.kubernetes.io/component=token-server")).filter(isReady);
  assert.equal(newPods.length, 2);
  assert.ok(
    newPods.every((p) => !oldPods.has(p.metadata?.name)),
    "every token server pod was replaced",
  );
  for (const pod of newPods) {
    assert.equal(pod.spec?.priority, 1_000_000, "the PriorityClass admitted");
    assert.equal(
      pod.spec?.topologySpreadConstraints?.[0]?.whenUnsatisfiable,
      "ScheduleAnyway",
      "spread, as a preference",
    );
  }
  console.log(`rolling upgrade: ${load.ok} token requests answered, ${load.failed.length} failed`);
  assert.ok(load.ok > 100, `the load ran (${load.ok} requests)`);
  assert.deepEqual(load.failed, [], `${load.failed.length} of ${load.ok + load.failed.length} failed`);
});

/** A private CA and a server certificate it signs for `host`, made with openssl in `dir`. */
async function privateCa(dir: string, host: string): Promise<{ ca: string; cert: string; key: string }> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run(
    "openssl",
    ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=Private CA", "-days", "1"],
    { cwd: dir },
  );
  await run("openssl", ["req", ...ec, "-keyout", "tls.key", "-out", "tls.csr", "-subj", `/CN=${host}`], { cwd: dir });
  writeFileSync(join(dir, "san.ext"), `subjectAltName=DNS:${host}\n`);
  await run(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      "tls.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "tls.crt",
      "-days",
      "1",
      "-extfile",
      "san.ext",
    ],
    { cwd: dir },
  );
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  return { ca: read("ca.crt"), cert: read("tls.crt"), key: read("tls.key") };
}

test("extraEnv, extraVolumes and extraObjects: with a private CA the token server reaches an internal jwksUri over TLS", async () => {
  // An identity provider inside the cluster that publishes its keys over HTTPS, with a certificate of a private CA.
  const host = `jwks.${NS}.svc`;
  const tls = await privateCa(mkdtempSync(join(home, "ca-")), host);
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "idp-1", alg: "ES256", use: "sig" }] };
  const data = { "tls.crt": tls.cert, "tls.key": tls.key, "jwks.json": JSON.stringify(jwks) };
  await kube.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: "jwks-tls" }, stringData: data } });
  const serve = `const fs = require("node:fs");
require("node:https").createServer({ key: fs.readFileSync("/tls/tls.key"), cert: fs.readFileSync("/tls/tls.crt") },
  (_, res) => res.setHeader("content-type", "application/json").end(fs.readFileSync("/tls/jwks.json"))).listen(8443);`;
  await kube.core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: "jwks", labels: { app: "jwks" } },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "jwks",
            image: images.tollgate.ref,
            imagePullPolicy: "Never",
            command: ["node", "-e", serve],
            ports: [{ containerPort: 8443 }],
            readinessProbe: { tcpSocket: { port: 8443 }, periodSeconds: 1 },
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"] },
              readOnlyRootFilesystem: true,
            },
            volumeMounts: [{ name: "tls", mountPath: "/tls", readOnly: true }],
          },
        ],
        volumes: [{ name: "tls", secret: { secretName: "jwks-tls" } }],
      },
    },
  });
  await kube.core.createNamespacedService({
    namespace: NS,
    body: { metadata: { name: "jwks" }, spec: { selector: { app: "jwks" }, ports: [{ port: 443, targetPort: 8443 }] } },
  });
  await waitFor("the JWKS pod Ready", async () => (await pods("app=jwks")).some(isReady) || undefined, {
    timeoutMs: 120_000,
  });

  await createClient("team-a", "ci-bot", {
    grantTypes: ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
    identityMapping: {
      jwtIssuers: [{ issuer: "https://idp.example", jwksUri: `https://${host}/jwks.json`, algorithms: ["ES256"] }],
    },
  } as OAuthClient["spec"]);
  const url = `http://${await clusterIp(TOKEN_SERVER)}`;
  const exchange = async () => {
    const creds = await waitFor("the ci-bot Secret", async () => {
      const data = await secretData("team-a", "ci-bot-oauth-client").catch(() => undefined);
      return data?.client_id ? data : undefined;
    });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
      .setIssuer("https://idp.example")
      .setSubject("pipeline-42")
      .setAudience(`http://${TOKEN_SERVER}.${NS}.svc`)
      .setIssuedAt()
      .setExpirationTime("2m")
      .setJti(randomUUID())
      .sign(privateKey);
    const response = await fetch(`${url}/oauth2/token`, {
      method: "POST",
      headers: {
        authorization: basic(creds.client_id as string, creds.client_secret as string),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };
  // Without the CA the token server cannot verify the certificate, so not the assertion either.
  const refused = await waitFor("the client registered", async () => {
    const answer = await exchange();
    return answer.body.error === "invalid_client" ? undefined : answer;
  });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.match(refused.body.error_description ?? "", /could not be fetched/);

  // The chart's conventions bring the CA: a ConfigMap from extraObjects, mounted by extraVolumes, named by extraEnv.
  const valuesFile = join(home, "private-ca.yaml");
  writeFileSync(
    valuesFile,
    stringify({
      extraObjects: [
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "private-ca" }, data: { "ca.crt": tls.ca } },
      ],
      tokenServer: {
        extraEnv: [{ name: "NODE_EXTRA_CA_CERTS", value: "/etc/private-ca/ca.crt" }],
        extraVolumes: [{ name: "private-ca", configMap: { name: "private-ca" } }],
        extraVolumeMounts: [{ name: "private-ca", mountPath: "/etc/private-ca", readOnly: true }],
      },
    }),
  );
  const withoutCa = new Set((await pods("app.kubernetes.io/component=token-server")).map((p) => p.metadata?.name));
  await helm([
    ...["upgrade", RELEASE, "charts/tollgate", "--namespace", NS, "--reuse-values", "-f", valuesFile],
    ...["--wait", "--timeout", "5m"],
  ]);
  // --wait returns once the new pods are Ready; the old ones (no CA) drain for a few seconds more.
  await waitFor(
    "the token server pods without the CA gone",
    async () =>
      (await pods("app.kubernetes.io/component=token-server")).every((p) => !withoutCa.has(p.metadata?.name)) ||
      undefined,
    { timeoutMs: 120_000 },
  );
  const issued = await exchange();
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const payload = decodeJwt(issued.body.access_token as string);
  assert.equal(payload.sub, "pipeline-42");
});

test(`memory: ${SCALE_CLIENTS} clients on the operator pod and token load on the token servers, within the chart's limits`, async () => {
  const namespace = "scale";
  await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < SCALE_CLIENTS; i = next++)
        await createClient(namespace, `client-${i}`, {
          grantTypes: ["client_credentials"],
          subject: `${namespace}/svc-${i}`,
          scopes: ["read", "write"],
          defaultScopes: ["read"],
        } as OAuthClient["spec"]);
    }),
  );
  await waitFor(
    `${SCALE_CLIENTS} clients Ready`,
    async () => (await countReadyClients(kube.custom, namespace)) === SCALE_CLIENTS || undefined,
    {
      timeoutMs: 20 * 60_000,
      intervalMs: 2000,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const credentials = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const data = await secretData(namespace, `client-${i}-oauth-client`);
      return { id: data.client_id as string, secret: data.client_secret as string };
    }),
  );
  const load = await tokenLoad(
    `http://${await clusterIp(TOKEN_SERVER)}`,
    credentials,
    16,
    new Promise((resolve) => setTimeout(resolve, 20_000)),
  );
  assert.deepEqual(load.failed.slice(0, 5), []);
  const all = await pods(`app.kubernetes.io/instance=${RELEASE}`);
  assertNoRestarts(all);
  const peaks: { pod: string; peakRss: number; limit: number }[] = [];
  const lines = [`${SCALE_CLIENTS} clients Ready in ${seconds.toFixed(0)} s; ${load.ok} tokens in 20 s`];
  for (const pod of all.filter(isReady)) {
    const container = pod.spec?.containers[0];
    const limit = container?.resources?.limits?.memory ?? "none";
    const { peakRss } = await containerMemory(pod);
    lines.push(`  ${pod.metadata?.name}: peak RSS ${mib(peakRss)} (limit ${limit})`);
    peaks.push({ pod: pod.metadata?.name ?? "", peakRss, limit: quantityBytes(limit) });
  }
  console.log(lines.join("\n"));
  // The chart's limits keep headroom over what this load needed (a limit at the peak would OOM on the next spike).
  for (const { pod, peakRss, limit } of peaks)
    assert.ok(peakRss < 0.8 * limit, `${pod}: peak ${mib(peakRss)} leaves under 20 % of its ${mib(limit)} limit`);
});

// Last: it turns the release to https, which the tests above reach over http.
test("tokenServer.tls: the token server serves https from a TLS Secret, helm test passes over it, tokens carry the https issuer", async () => {
  const host = `${TOKEN_SERVER}.${NS}.svc`;
  const tls = await privateCa(mkdtempSync(join(home, "token-server-tls-")), host);
  await kube.core.createNamespacedSecret({
    namespace: NS,
    body: {
      metadata: { name: "token-server-tls" },
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": tls.cert, "tls.key": tls.key, "ca.crt": tls.ca },
    },
  });
  const plain = new Set((await pods("app.kubernetes.io/component=token-server")).map((p) => p.metadata?.name));
  await helm([
    ...["upgrade", RELEASE, "charts/tollgate", "--namespace", NS, "--reuse-values"],
    ...["--set", "tokenServer.tls.secretName=token-server-tls", "--set", "tokenServer.service.port=443"],
    ...["--wait", "--timeout", "5m"],
  ]);
  await waitFor(
    "the plain-http token server pods gone",
    async () =>
      (await pods("app.kubernetes.io/component=token-server")).every((p) => !plain.has(p.metadata?.name)) || undefined,
    { timeoutMs: 120_000 },
  );
  // The discovery pod fetches https://<service>.<namespace>.svc:443 trusting the Secret's ca.crt.
  assert.match(await helm(["test", RELEASE, "--namespace", NS, "--timeout", "3m"]), /Phase:\s+Succeeded/);

  // From the host: the ClusterIP, checked against the certificate's name and the private CA.
  const ip = await clusterIp(TOKEN_SERVER);
  const call = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    httpsRequest(
      `https://${ip}:443${path}`,
      { servername: host, ca: tls.ca, method: init.method ?? "GET", headers: init.headers },
      init.body,
    );
  const discovery = await call("/.well-known/oauth-authorization-server");
  assert.equal(discovery.status, 200);
  const issuer = `https://${host}`;
  assert.equal((JSON.parse(discovery.body) as { issuer: string }).issuer, issuer);

  // The operator (rolled with the new issuer) writes it into a new client's Secret, and the token carries it.
  await createClient("team-a", "tls-client", {
    grantTypes: ["client_credentials"],
    subject: "team-a/tls-client",
  } as OAuthClient["spec"]);
  const creds = await waitFor("the tls-client Secret with the https issuer", async () => {
    const data = await secretData("team-a", "tls-client-oauth-client").catch(() => undefined);
    return data?.issuer === issuer ? data : undefined;
  });
  const token = await waitFor("a token over https", async () => {
    const answer = await call("/oauth2/token", {
      method: "POST",
      headers: {
        authorization: basic(creds.client_id as string, creds.client_secret as string),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    return answer.status === 200 ? (JSON.parse(answer.body) as { access_token: string }) : undefined;
  });
  assert.equal(decodeJwt(token.access_token).iss, issuer);
  assertNoRestarts(await pods(`app.kubernetes.io/instance=${RELEASE}`));
});
