// Issue 14 part 3 on the real API server: kube-apiserver's JWT authenticator (structured
// authentication, apiserver.config.k8s.io/v1) trusts the token server as its issuer, with
// the AuthenticationConfiguration exactly as docs/cluster-access.md shows it (only the
// issuer URL and CA filled in). The token server serves https (--tls-cert-file), the
// operator writes the clients, tokens come from openid-client, and what the API server
// decides is read with kubectl (auth whoami, get pods) and with plain HTTPS requests for
// the exact status codes. The verifier of the tokens is kube-apiserver itself.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as oauth from "openid-client";
import { parse, stringify } from "yaml";
import type { OAuthClientSpec } from "../../api/v1alpha1/oauthclient.ts";
import { httpsRequest } from "../harness/https-request.ts";
import { kubeconfigYaml } from "../harness/node.ts";
import { freePort, waitFor } from "../harness/processes.ts";
import { makeServingCertificate } from "../harness/tls-certificate.ts";
import { createNamespace, patchClient } from "../operator/support.ts";
import { oauthErrorOf } from "../token-server/fixtures.ts";
import { type OperatorStack, startOperatorStack } from "./stack.ts";

const run = promisify(execFile);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface JwtAuthenticator {
  issuer: { url: string; audiences: string[]; certificateAuthority?: string };
}

/** The AuthenticationConfiguration a Markdown file shows. */
function shownConfiguration(file: string): { jwt: JwtAuthenticator[] } {
  const page = readFileSync(join(repoRoot, file), "utf8");
  const block = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1] as string)
    .find((text) => text.includes("kind: AuthenticationConfiguration"));
  assert.ok(block, `${file} shows an AuthenticationConfiguration`);
  return parse(block) as { jwt: JwtAuthenticator[] };
}

/** The AuthenticationConfiguration of docs/cluster-access.md (the README's says the same), pointed at this run's issuer. */
function documentedConfiguration(issuer: string, caPem: string): { yaml: string; audience: string } {
  const config = shownConfiguration("docs/cluster-access.md");
  assert.deepEqual(shownConfiguration("README.md"), config, "the README's configuration is the docs page's");
  const jwt = config.jwt[0] as JwtAuthenticator;
  jwt.issuer.url = issuer;
  jwt.issuer.certificateAuthority = caPem;
  return { yaml: stringify(config), audience: jwt.issuer.audiences[0] as string };
}

let stack: OperatorStack;
let dir: string;
let audience: string;
let apiServerCa: string;
let ciNamespace: string;
let appsNamespace: string;
let otherNamespace: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tollgate-cluster-access-"));
  const certificate = makeServingCertificate(join(dir, "pki"));
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const documented = documentedConfiguration(issuer, certificate.caPem);
  audience = documented.audience;
  // openid-client (global fetch) trusts the token server's CA, as a CI job given the CA would.
  setDefaultCACertificates([...getCACertificates("default"), certificate.caPem]);
  stack = await startOperatorStack(
    // The default, as a platform team runs it: a namespace's clients have subjects inside it.
    { subjectConfinement: true },
    {
      controlPlane: { authenticationConfig: documented.yaml },
      tokenServer: { port, tls: certificate },
    },
  );
  assert.equal(stack.issuer, issuer);
  apiServerCa = Buffer.from(stack.world.cp.kubeConfig.getCurrentCluster()?.caData ?? "", "base64").toString();
  ciNamespace = await createNamespace(stack.world, "ci");
  appsNamespace = await createNamespace(stack.world, "apps");
  otherNamespace = await createNamespace(stack.world, "other");
  await stack.world.cp.kubectl(
    ["apply", "-f", "-"],
    `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: ${appsNamespace}}
rules:
  - {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: ${appsNamespace}}
subjects:
  - {kind: User, apiGroup: rbac.authorization.k8s.io, name: "tollgate:${ciNamespace}/deployer"}
roleRef: {kind: Role, apiGroup: rbac.authorization.k8s.io, name: pod-reader}
`,
  );
  // The API server fetches discovery and the JWKS in the background (retrying every 10 s
  // until the issuer answers): wait until it accepts a Tollgate token at all.
  const probe = await tokenFor("probe", clusterClient("probe"));
  await waitFor(
    "the API server to accept a Tollgate token",
    async () => (await whoami(probe.token)).status === 201 || undefined,
    {
      timeoutMs: 60_000,
      intervalMs: 500,
    },
  );
});

after(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A client_credentials client in the ci namespace, subject ci/<name>, allowed the cluster's audience and one other. */
function clusterClient(name: string, overrides: Partial<OAuthClientSpec> = {}): OAuthClientSpec {
  return {
    grantTypes: ["client_credentials"],
    subject: `${ciNamespace}/${name}`,
    audiences: [audience, "https://api.example.com"],
    defaultAudience: audience,
    ...overrides,
  };
}

const applied = new Map<string, Promise<{ clientId: string; config: oauth.Configuration }>>();

/** Applies the client once (the operator writes it, the token server loads it), then gets a token with openid-client. */
async function tokenFor(name: string, spec: OAuthClientSpec, parameters: Record<string, string> = {}) {
  let client = applied.get(name);
  if (!client) {
    client = stack.apply(ciNamespace, name, spec).then(async ({ clientId, clientSecret }) => ({
      clientId,
      config: await oauth.discovery(
        new URL(stack.issuer),
        clientId,
        undefined,
        oauth.ClientSecretBasic(clientSecret ?? ""),
      ),
    }));
    applied.set(name, client);
  }
  const { clientId, config } = await client;
  const { access_token, expires_in } = await oauth.clientCredentialsGrant(config, parameters);
  return { clientId, config, token: access_token, expiresAt: Date.now() + (expires_in ?? 0) * 1000 };
}

/** An HTTPS request to the API server with a bearer token: its status and body. */
function apiRequest(token: string, method: string, path: string, body?: unknown) {
  return httpsRequest(
    `${stack.world.cp.server}${path}`,
    {
      method,
      ca: apiServerCa,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    },
    body === undefined ? undefined : JSON.stringify(body),
  );
}

interface UserInfo {
  username: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** POST a SelfSubjectReview (what `kubectl auth whoami` sends): the user the API server sees, or the refusal's status. */
async function whoami(token: string): Promise<{ status: number; user?: UserInfo }> {
  const res = await apiRequest(token, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
    apiVersion: "authentication.k8s.io/v1",
    kind: "SelfSubjectReview",
  });
  if (res.status !== 201) return { status: res.status };
  return { status: res.status, user: (JSON.parse(res.body) as { status: { userInfo: UserInfo } }).status.userInfo };
}

/** kubectl with nothing but the token: a kubeconfig of its own, as a CI job writes one. */
async function kubectlWith(token: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, kubeconfigYaml(stack.world.cp.server, apiServerCa, "ci-job", token), { mode: 0o600 });
  try {
    const { stdout, stderr } = await run(join(stack.world.cp.binDir, "kubectl"), ["--kubeconfig", path, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  } finally {
    rmSync(path, { force: true });
  }
}

test("a token for the cluster's audience authenticates as the mapped user: prefix, namespace group, client_id extra", async () => {
  const { clientId, token } = await tokenFor("deployer", clusterClient("deployer"));
  const seen = (await whoami(token)).user;
  assert.ok(seen, "the API server accepts the token");
  assert.equal(seen.username, `tollgate:${ciNamespace}/deployer`);
  assert.deepEqual(seen.groups, [`tollgate:namespace:${ciNamespace}`, "system:authenticated"]);
  // The API server adds the token's jti (audit logs name the very token); the rest is the mapping's.
  const { jti } = JSON.parse(Buffer.from(token.split(".")[1] as string, "base64url").toString()) as { jti: string };
  assert.deepEqual(seen.extra, {
    "authentication.kubernetes.io/credential-id": [`JTI=${jti}`],
    "tollgate.dev/client-id": [clientId],
  });

  // What a person runs, table and all.
  const table = await kubectlWith(token, ["auth", "whoami"]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`Username\\s+tollgate:${ciNamespace}/deployer\n`));
  assert.match(table.stdout, new RegExp(`Groups\\s+\\[tollgate:namespace:${ciNamespace} system:authenticated\\]\n`));
  assert.match(table.stdout, new RegExp(`Extra: tollgate.dev/client-id\\s+\\[${clientId}\\]\n`));
});

test("RBAC decides: the RoleBinding's namespace allows get pods, another namespace forbids it", async () => {
  const { token } = await tokenFor("deployer", clusterClient("deployer"));
  const allowed = await kubectlWith(token, ["get", "pods", "-n", appsNamespace, "-o", "name"]);
  assert.equal(allowed.code, 0, allowed.stderr);
  const forbidden = await kubectlWith(token, ["get", "pods", "-n", otherNamespace]);
  assert.notEqual(forbidden.code, 0);
  assert.match(
    forbidden.stderr,
    new RegExp(`pods is forbidden: User "tollgate:${ciNamespace}/deployer" cannot list resource "pods"`),
  );
  assert.equal((await apiRequest(token, "GET", `/api/v1/namespaces/${appsNamespace}/pods`)).status, 200);
  assert.equal((await apiRequest(token, "GET", `/api/v1/namespaces/${otherNamespace}/pods`)).status, 403);
});

test("refused with 401: a token for another audience, an opaque token, a subject outside the client's namespace", async () => {
  const other = await tokenFor("deployer", clusterClient("deployer"), { resource: "https://api.example.com" });
  assert.equal((await whoami(other.token)).status, 401);
  const refused = await kubectlWith(other.token, ["auth", "whoami"]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Unauthorized/);

  // Opaque tokens are not JWTs: only Tollgate can read them.
  const opaque = await tokenFor("opaque", clusterClient("opaque", { accessToken: { format: "opaque" } }));
  assert.equal((await whoami(opaque.token)).status, 401);

  // The default client ID (<name>.<namespace>) lies inside the namespace too.
  const { subject: _, ...withoutSubject } = clusterClient("default-id");
  const byClientId = await tokenFor("default-id", withoutSubject);
  assert.equal((await whoami(byClientId.token)).user?.username, `tollgate:default-id.${ciNamespace}`);

  // The platform team turned the confinement off for a namespace (label + policy), and a
  // client there registers another namespace's identity: Tollgate issues the token, the
  // documented claimValidationRule refuses it at the API server.
  const lab = await createNamespace(stack.world, "lab");
  await stack.world.cp.kubectl(["label", "namespace", lab, "tollgate.dev/subject-confinement=off"]);
  await stack.world.cp.kubectl(
    ["apply", "-f", "-"],
    `apiVersion: tollgate.dev/v1alpha1
kind: OAuthClientPolicy
metadata: {name: ${lab}}
spec:
  namespaces: {names: [${lab}]}
  subjects: ["${ciNamespace}/*"]
`,
  );
  const { clientId, clientSecret } = await stack.apply(lab, "impostor", clusterClient("deployer"));
  const config = await oauth.discovery(
    new URL(stack.issuer),
    clientId,
    undefined,
    oauth.ClientSecretBasic(clientSecret ?? ""),
  );
  const impostor = await oauth.clientCredentialsGrant(config);
  const claims = JSON.parse(Buffer.from(impostor.access_token.split(".")[1] as string, "base64url").toString());
  assert.equal(claims.sub, `${ciNamespace}/deployer`, "Tollgate issued a token for another namespace's identity");
  assert.equal(claims["tollgate.dev/namespace"], lab);
  assert.equal((await whoami(impostor.access_token)).status, 401);
});

test("an expired token is refused; a disabled client gets no new token but its JWT lives until exp", async () => {
  const short = { accessToken: { lifetime: "1m", format: "jwt" as const } };
  const expiring = await tokenFor("expiring", clusterClient("expiring", short));
  const doomed = await tokenFor("doomed", clusterClient("doomed", short));
  assert.equal((await whoami(expiring.token)).status, 201);
  assert.equal((await whoami(doomed.token)).status, 201);

  await patchClient(stack.world, ciNamespace, "doomed", { spec: { disabled: true } });
  await waitFor(
    "the token server to see the client disabled",
    async () => stack.tokenServer.clients.get(doomed.clientId)?.disabled || undefined,
  );
  const refused = await oauthErrorOf(await oauth.clientCredentialsGrant(doomed.config).catch((e) => e));
  assert.equal(refused.status, 401);
  assert.equal(refused.error, "invalid_client");
  // The limit of self-contained tokens: the API server verifies the signature and never asks Tollgate.
  const stillValid = await whoami(doomed.token);
  assert.equal(stillValid.status, 201, "a disabled client's unexpired JWT still authenticates");
  assert.equal(stillValid.user?.username, `tollgate:${ciNamespace}/doomed`);

  // Past exp (whole seconds, no leeway on the API server's side beyond that): both refused.
  const wait = Math.max(expiring.expiresAt, doomed.expiresAt) - Date.now() + 2000;
  assert.ok(wait < 70_000, `a bounded wait (${wait} ms)`);
  await new Promise((resolve) => setTimeout(resolve, wait));
  assert.equal((await whoami(expiring.token)).status, 401);
  assert.equal((await whoami(doomed.token)).status, 401);
});
