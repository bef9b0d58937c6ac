// Secretless in-cluster clients on a real node: the chart installed with
// tokenServer.workloadIdentity on, the token server reading the real kube-apiserver's
// service-account issuer discovery and JWKS, and pods presenting the projected
// ServiceAccount tokens the kubelet mounts. The independent parts: kube-apiserver issues
// and signs every token (except the expired one, signed with the cluster's own
// service-account key held by the harness, since projected tokens live at least 10 min);
// busybox's wget is the plain HTTP client (no image here has curl); the refusals are posted
// from this process with fetch so the exact status and body can be read (busybox's wget
// does not print the body of a 401).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPrivateKey, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { V1Pod } from "@kubernetes/client-node";
import { decodeJwt, SignJWT } from "jose";
import { GROUP, type OAuthClient, PLURAL, VERSION } from "../../api/v1alpha1/oauthclient.ts";
import { type KubeClients, makeClients } from "../../operator/kube.ts";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.ts";
import { waitFor } from "../harness/processes.ts";
import { type BuiltImages, buildImages, chartImageValues } from "../image/images.ts";

const run = promisify(execFile);
const REPO = join(import.meta.dirname, "..", "..");
const NS = "tollgate-system";
const ISSUER = `http://tollgate-token-server.${NS}.svc`;
const TOKEN_MOUNT = "/var/run/secrets/tollgate/serviceaccount";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

let cp: ControlPlane;
let kube: KubeClients;
let images: BuiltImages;
let tokenEndpoint: string;
const home = mkdtempSync(join(tmpdir(), "tollgate-workload-identity-"));

function shellEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${cp.binDir}:${process.env.PATH}`, KUBECONFIG: cp.kubeconfigPath, HOME: home };
}

async function kubectl(args: string[]): Promise<string> {
  const { stdout } = await run("kubectl", args, { env: shellEnv(), maxBuffer: 4 * 1024 * 1024 });
  return stdout;
}

async function createClient(namespace: string, name: string, spec: OAuthClient["spec"]): Promise<void> {
  await kube.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: "OAuthClient", metadata: { name, namespace }, spec },
  });
  await waitFor(
    `${namespace}/${name} Ready`,
    async () => {
      const item = (await kube.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
      })) as OAuthClient;
      return item.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") || undefined;
    },
    { timeoutMs: 120_000 },
  );
}

/** A projected ServiceAccount token volume, as a user writes it for a Tollgate client. */
function tokenVolume(audience: string) {
  return {
    name: "tollgate-token",
    projected: { sources: [{ serviceAccountToken: { audience, expirationSeconds: 600, path: "token" } }] },
  };
}

const restricted = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  runAsUser: 10001,
  seccompProfile: { type: "RuntimeDefault" },
};

/** A pod of `serviceAccount` holding a projected token for `audience`, then sleeping. */
async function tokenPod(namespace: string, serviceAccount: string, audience = ISSUER): Promise<string> {
  const name = `sa-${serviceAccount}-${randomUUID().slice(0, 6)}`;
  const pod: V1Pod = {
    metadata: { name, namespace },
    spec: {
      serviceAccountName: serviceAccount,
      automountServiceAccountToken: false,
      restartPolicy: "Never",
      containers: [
        {
          name: "app",
          image: cp.node?.busyboxImage as string,
          imagePullPolicy: "Never",
          command: ["sleep", "3600"],
          securityContext: restricted,
          volumeMounts: [{ name: "tollgate-token", mountPath: TOKEN_MOUNT, readOnly: true }],
        },
      ],
      volumes: [tokenVolume(audience)],
    },
  };
  await kube.core.createNamespacedPod({ namespace, body: pod });
  await waitFor(
    `pod ${name} running`,
    async () => (await kube.core.readNamespacedPod({ namespace, name })).status?.phase === "Running" || undefined,
    { timeoutMs: 120_000 },
  );
  return name;
}

async function podToken(namespace: string, pod: string): Promise<string> {
  return (await kubectl(["exec", "-n", namespace, pod, "--", "cat", `${TOKEN_MOUNT}/token`])).trim();
}

/** The token endpoint's answer to a ServiceAccount token, from this process. */
async function exchange(assertion: string, clientId: string) {
  const response = await fetch(tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
    }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

before(async () => {
  cp = await startControlPlane({ node: true, installCrds: false });
  kube = makeClients(cp.kubeConfig);
  images = buildImages();
  for (const image of [images.tollgate, images.redis]) await cp.node?.importImage(image.archive);
  const values = [
    ...chartImageValues(images.tollgate),
    "operator.replicas=1",
    "tokenServer.replicas=1",
    "tokenServer.workloadIdentity.enabled=true",
    // The harness's kube-apiserver: its --service-account-issuer, reached from pods at the node IP.
    `tokenServer.workloadIdentity.issuer=${cp.serviceAccountIssuer}`,
  ];
  await run(
    "helm",
    [
      "install",
      "tollgate",
      "charts/tollgate",
      "--namespace",
      NS,
      "--create-namespace",
      "--wait",
      "--timeout",
      "5m",
    ].concat(values.flatMap((v) => ["--set", v])),
    { env: shellEnv(), cwd: REPO, maxBuffer: 16 * 1024 * 1024 },
  );
  const service = await kube.core.readNamespacedService({ namespace: NS, name: "tollgate-token-server" });
  tokenEndpoint = `http://${service.spec?.clusterIP}/oauth2/token`;
  for (const namespace of ["team-a", "team-b"])
    await kube.core.createNamespace({ body: { metadata: { name: namespace } } });
  for (const [namespace, name] of [
    ["team-a", "orders"],
    ["team-a", "frontend"],
    ["team-a", "batch"],
    ["team-b", "orders"],
  ] as const)
    await kube.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await createClient("team-a", "orders", {
    grantTypes: ["client_credentials"],
    subject: "team-a/orders",
    workloadIdentity: { serviceAccounts: ["orders", "batch"] },
    accessToken: { lifetime: "1m" },
  });
});

after(async () => {
  await cp?.stop();
  rmSync(home, { recursive: true, force: true });
});

test("the operator's Secret carries the client ID, token endpoint and issuer, and no client_secret", async () => {
  const secret = await kube.core.readNamespacedSecret({ namespace: "team-a", name: "orders-oauth-client" });
  assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ["client_id", "issuer", "token_endpoint"]);
});

test("a pod of an allowed ServiceAccount gets a token with a plain HTTP client (busybox wget)", async () => {
  const pod = await tokenPod("team-a", "orders");
  const script =
    `timeout 20 wget -q -O - --post-data "grant_type=client_credentials&client_id=orders.team-a` +
    `&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=$(cat ${TOKEN_MOUNT}/token)" ` +
    `${ISSUER}/oauth2/token`;
  const out = await kubectl(["exec", "-n", "team-a", pod, "--", "sh", "-c", script]);
  const body = JSON.parse(out) as { access_token: string; token_type: string; expires_in: number };
  assert.equal(body.token_type, "Bearer");
  assert.equal(body.expires_in, 60);
  const claims = decodeJwt(body.access_token);
  assert.equal(claims.client_id, "orders.team-a");
  assert.equal(claims.sub, "team-a/orders");
  assert.equal(claims.iss, ISSUER);
});

test("refused with invalid_client: another ServiceAccount, another namespace, another audience, expired", async () => {
  const other = await podToken("team-a", await tokenPod("team-a", "frontend"));
  const elsewhere = await podToken("team-b", await tokenPod("team-b", "orders"));
  const apiAudience = await podToken("team-a", await tokenPod("team-a", "orders", "https://kubernetes.default.svc"));
  // Projected tokens live 10 min at least: the expired one is signed with the cluster's own key.
  const valid = decodeJwt(await podToken("team-a", await tokenPod("team-a", "orders")));
  const now = Math.floor(Date.now() / 1000);
  const expired = await new SignJWT({ "kubernetes.io": valid["kubernetes.io"] })
    .setProtectedHeader({
      alg: "RS256",
      kid: JSON.parse(Buffer.from(apiAudience.split(".")[0] as string, "base64url").toString()).kid,
    })
    .setIssuer(cp.serviceAccountIssuer)
    .setSubject(valid.sub as string)
    .setAudience(ISSUER)
    .setIssuedAt(now - 1200)
    .setNotBefore(now - 1200)
    .setExpirationTime(now - 600)
    .sign(createPrivateKey(cp.serviceAccountSigningKey));
  const cases: [string, string, string][] = [
    [
      other,
      "invalid_client",
      "ServiceAccount 'frontend' is not one this client's workloadIdentity names, or it no longer exists",
    ],
    [
      elsewhere,
      "invalid_client",
      "a ServiceAccount of namespace 'team-b' may not authenticate as a client of namespace 'team-a'",
    ],
    [apiAudience, "invalid_client", "the ServiceAccount token is invalid: its audience (aud) is not this server"],
    [expired, "invalid_client", "the ServiceAccount token is invalid: it has expired"],
  ];
  for (const [token, error, description] of cases) {
    const response = await exchange(token, "orders.team-a");
    assert.deepEqual(response, { status: 401, body: { error, error_description: description } });
  }
});

test("tokenReuse once: a token minted with the TokenRequest API authenticates once", async (t) => {
  await createClient("team-a", "orders-once", {
    grantTypes: ["client_credentials"],
    subject: "team-a/orders-once",
    workloadIdentity: { serviceAccounts: ["orders"], tokenReuse: "once" },
  });
  const pod = await tokenPod("team-a", "orders");
  const uid = (await kube.core.readNamespacedPod({ namespace: "team-a", name: pod })).metadata?.uid as string;
  const mint = async () =>
    (
      await kube.core.createNamespacedServiceAccountToken({
        namespace: "team-a",
        name: "orders",
        body: {
          spec: {
            audiences: [ISSUER],
            expirationSeconds: 600,
            boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod, uid },
          },
        },
      })
    ).status?.token as string;
  const token = await mint();
  assert.equal((await exchange(token, "orders-once.team-a")).status, 200);
  assert.deepEqual(await exchange(token, "orders-once.team-a"), {
    status: 401,
    body: {
      error: "invalid_client",
      error_description: "this ServiceAccount token was already used (the client takes each token once)",
    },
  });
  assert.equal((await exchange(await mint(), "orders-once.team-a")).status, 200, "a fresh token works");
  // The default client reuses: the same token twice is fine there.
  assert.equal((await exchange(token, "orders.team-a")).status, 200);
  assert.equal((await exchange(token, "orders.team-a")).status, 200);
  t.diagnostic(`jti ${String(decodeJwt(token).jti)}`);
});

test("after the ServiceAccount is deleted its token, still validly signed, is refused", async (t) => {
  const token = await podToken("team-a", await tokenPod("team-a", "batch"));
  assert.equal((await exchange(token, "orders.team-a")).status, 200);
  await kube.core.deleteNamespacedServiceAccount({ namespace: "team-a", name: "batch" });
  const deletedAt = Date.now();
  const refused = await waitFor(
    "the deleted ServiceAccount's token refused",
    async () => {
      const response = await exchange(token, "orders.team-a");
      return response.status === 401 ? response : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  t.diagnostic(`refused ${Date.now() - deletedAt} ms after the ServiceAccount was deleted`);
  assert.deepEqual(refused.body, {
    error: "invalid_client",
    error_description: "ServiceAccount 'batch' is not one this client's workloadIdentity names, or it no longer exists",
  });
  // Re-created under the same name: a new UID, and the old token stays refused.
  await kube.core.createNamespacedServiceAccount({ namespace: "team-a", body: { metadata: { name: "batch" } } });
  const recreated = await waitFor(
    "the re-created ServiceAccount in the record",
    async () => {
      const response = await exchange(token, "orders.team-a");
      return /earlier ServiceAccount/.test(String(response.body.error_description)) ? response : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  assert.equal(recreated.status, 401);
  assert.equal(recreated.body.error, "invalid_client");
});

test("the fetch sidecar keeps a token file fresh across two expiries of one-minute tokens", async () => {
  const name = "app-with-fetch";
  await kube.core.createNamespacedPod({
    namespace: "team-a",
    body: {
      metadata: { name, namespace: "team-a" },
      spec: {
        serviceAccountName: "orders",
        automountServiceAccountToken: false,
        containers: [
          {
            name: "app",
            image: cp.node?.busyboxImage as string,
            imagePullPolicy: "Never",
            command: ["sleep", "3600"],
            securityContext: restricted,
            volumeMounts: [{ name: "tokens", mountPath: "/var/run/tokens" }],
          },
          {
            name: "tollgate-fetch",
            image: images.tollgate.ref,
            imagePullPolicy: "Never",
            args: [
              "fetch",
              "--token-endpoint",
              `${ISSUER}/oauth2/token`,
              "--client-id",
              "orders.team-a",
              "--output",
              "/var/run/tokens/access-token",
            ],
            securityContext: { ...restricted, readOnlyRootFilesystem: true },
            volumeMounts: [
              { name: "tokens", mountPath: "/var/run/tokens" },
              { name: "tollgate-token", mountPath: TOKEN_MOUNT, readOnly: true },
            ],
          },
        ],
        securityContext: { fsGroup: 10001 },
        volumes: [{ name: "tokens", emptyDir: {} }, tokenVolume(ISSUER)],
      },
    },
  });
  const seen = new Map<string, number>();
  const deadline = Date.now() + 150_000;
  // Read as the application would, every 5 s: each read is a token that has not expired.
  while (Date.now() < deadline && seen.size < 3) {
    const token = await kubectl([
      "exec",
      "-n",
      "team-a",
      name,
      "-c",
      "app",
      "--",
      "cat",
      "/var/run/tokens/access-token",
    ])
      .then((out) => out.trim())
      .catch(() => "");
    if (token) {
      const claims = decodeJwt(token);
      assert.ok((claims.exp as number) * 1000 > Date.now(), "the file never holds an expired token");
      assert.equal(claims.client_id, "orders.team-a");
      if (!seen.has(token)) seen.set(token, claims.exp as number);
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  assert.ok(seen.size >= 3, `three tokens in turn (two renewals), saw ${seen.size}`);
  const expiries = [...seen.values()];
  for (let i = 1; i < expiries.length; i++)
    assert.ok((expiries[i] as number) > (expiries[i - 1] as number), "each renewal is a later token");
  const logs = await kubectl(["logs", "-n", "team-a", name, "-c", "tollgate-fetch"]);
  assert.match(logs, /wrote a token valid for 60s; renewing in 48s/);
});
