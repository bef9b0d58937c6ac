// `kubectl tollgate` on the real API server, run as kubectl would run it (bin/kubectl-tollgate
// as a process, kubectl's own binary in front for one case), with an operator and a token
// server (test/e2e/stack.ts) doing what each command asks of them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { ROTATE_ANNOTATION } from "../../api/v1alpha1/oauthclient.ts";
import { type OperatorStack, startOperatorStack } from "../e2e/stack.ts";
import { waitFor } from "../harness/processes.ts";
import {
  CLIENT_CREDENTIALS,
  createClient,
  createNamespace,
  getClient,
  getSecret,
  oauthClient,
  secretString,
  waitForEvent,
  waitForReady,
  waitForReason,
} from "../operator/support.ts";

const run = promisify(execFile);
const PLUGIN = join(import.meta.dirname, "..", "..", "bin", "kubectl-tollgate");

let stack: OperatorStack;
let namespace: string;

/** The plugin's exit code, stdout and stderr (a failure is a result here, not an exception). */
async function plugin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(PLUGIN, [...args, "--kubeconfig", stack.world.cp.kubeconfigPath]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function verify(token: string) {
  const jwks = createRemoteJWKSet(new URL(`${stack.issuer}/oauth2/jwks`));
  return (await jwtVerify(token, jwks, { issuer: stack.issuer })).payload;
}

before(async () => {
  stack = await startOperatorStack();
  namespace = await createNamespace(stack.world, "plugin");
});
after(() => stack?.close());

test("--help lists every command; a wrong command or a missing name exits 2 with the usage", async () => {
  const help = await plugin("--help");
  assert.equal(help.code, 0);
  for (const command of ["token", "rotate", "revoke", "disable", "enable", "status"])
    assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
  for (const args of [["frobnicate", "x"], ["token"], ["status", "a", "b"], ["--bogus"]]) {
    const wrong = await plugin(...args);
    assert.equal(wrong.code, 2, args.join(" "));
    assert.match(wrong.stderr, /Usage: kubectl tollgate/);
  }
});

test("token: the client's Secret exchanged for a token the token server signed", async () => {
  await stack.apply(namespace, "orders", CLIENT_CREDENTIALS);
  const { code, stdout, stderr } = await plugin("token", "orders", "-n", namespace);
  assert.equal(code, 0, stderr);
  const payload = await verify(stdout.trim());
  assert.equal(payload.sub, CLIENT_CREDENTIALS.subject);
  assert.equal(payload.scope, "orders:read");
});

test("token: key names from spec.credentials.keys, --token-url, --scope, -o json", async () => {
  const keys = { clientId: "ID", clientSecret: "SECRET", tokenEndpoint: "URL", issuer: "ISSUER" };
  await stack.apply(namespace, "custom-keys", { ...CLIENT_CREDENTIALS, credentials: { keys } });
  const { code, stdout, stderr } = await plugin(
    ...["token", "custom-keys", "--namespace", namespace, "--scope", "orders:write", "-o", "json"],
    ...["--token-url", `${stack.issuer}/oauth2/token`],
  );
  assert.equal(code, 0, stderr);
  const answer = JSON.parse(stdout) as { access_token: string; token_type: string; scope: string };
  assert.equal(answer.scope, "orders:write");
  assert.equal((await verify(answer.access_token)).scope, "orders:write");
  const unreachable = await plugin("token", "custom-keys", "-n", namespace, "--token-url", "http://127.0.0.1:9/token");
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /port-forward/);
});

test("rotate: the operator regenerates the secret; token works with the new one", async () => {
  const before = secretString(await getSecret(stack.world, namespace, "orders-oauth-client"), "client_secret");
  const { code, stdout, stderr } = await plugin("rotate", "orders", "-n", namespace);
  assert.equal(code, 0, stderr);
  const requested = /=(\S+)\)$/m.exec(stdout)?.[1];
  assert.ok(requested, stdout);
  const client = await getClient(stack.world, namespace, "orders");
  assert.equal(client?.metadata.annotations?.[ROTATE_ANNOTATION], requested);
  await waitFor("the rotation handled", async () => {
    const handled = (await getClient(stack.world, namespace, "orders"))?.status?.rotationRequestHandled === requested;
    const secret = secretString(await getSecret(stack.world, namespace, "orders-oauth-client"), "client_secret");
    return (handled && secret !== before) || undefined;
  });
  const clientId = client?.status?.clientId as string;
  await stack.followed(clientId, "rotated", (record) => (record?.secrets.length ?? 0) > 1);
  const token = await plugin("token", "orders", "-n", namespace);
  assert.equal(token.code, 0, token.stderr);
});

test("revoke: spec.revokeTokensIssuedBefore moves past every token issued so far", async () => {
  const issued = decodeJwt((await plugin("token", "orders", "-n", namespace)).stdout.trim());
  const { code, stderr } = await plugin("revoke", "orders", "-n", namespace);
  assert.equal(code, 0, stderr);
  const client = await getClient(stack.world, namespace, "orders");
  const before = Date.parse(client?.spec.revokeTokensIssuedBefore ?? "") / 1000;
  assert.ok(before > (issued.iat as number), `${client?.spec.revokeTokensIssuedBefore} is after iat ${issued.iat}`);
  await stack.followed(
    client?.status?.clientId as string,
    "revoke-before",
    (record) => record?.revokeTokensIssuedBefore === before,
  );
});

test("disable, then enable: the token server refuses the client, then serves it again", async () => {
  const clientId = (await getClient(stack.world, namespace, "orders"))?.status?.clientId as string;
  assert.equal((await plugin("disable", "orders", "-n", namespace)).code, 0);
  assert.equal((await getClient(stack.world, namespace, "orders"))?.spec.disabled, true);
  await stack.followed(clientId, "disabled", (record) => record?.disabled === true);
  const refused = await plugin("token", "orders", "-n", namespace);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /answered 40[01]/);
  assert.equal((await plugin("enable", "orders", "-n", namespace)).code, 0);
  await stack.followed(clientId, "enabled", (record) => record?.disabled === false);
  assert.equal((await plugin("token", "orders", "-n", namespace)).code, 0);
});

test("status: conditions, the Secret, the last rotation and the Events, through kubectl itself", async () => {
  await waitForEvent(stack.world, namespace, "orders", "SecretRotated");
  // kubectl finds kubectl-tollgate on the PATH: `kubectl tollgate status`.
  const { stdout } = await run(
    join(stack.world.cp.binDir, "kubectl"),
    ["tollgate", "status", "orders", "-n", namespace, "--kubeconfig", stack.world.cp.kubeconfigPath],
    { env: { ...process.env, PATH: `${join(import.meta.dirname, "..", "..", "bin")}:${process.env.PATH}` } },
  );
  const client = await getClient(stack.world, namespace, "orders");
  assert.match(stdout, new RegExp(`^OAuthClient ${namespace}/orders$`, "m"));
  assert.match(stdout, new RegExp(`Client ID: +${client?.status?.clientId}`));
  assert.match(stdout, /Secret: +orders-oauth-client/);
  assert.match(stdout, new RegExp(`Last rotation: +${client?.status?.secretRotatedAt}`));
  assert.match(stdout, /Disabled: +false/);
  assert.match(stdout, new RegExp(`Tokens revoked before: +${client?.spec.revokeTokensIssuedBefore}`));
  assert.match(stdout, /^ {2}Ready +True /m);
  assert.match(stdout, /Events \(most recent last\):\n {2}TIME +TYPE +REASON +MESSAGE\n/);
  assert.match(stdout, /^ {2}\S+ +Normal +SecretRotated +/m);
});

test("token for a workload-identity client: exit 1 and a sentence saying where its tokens come from", async () => {
  await stack.apply(namespace, "orders-pods", {
    ...CLIENT_CREDENTIALS,
    subject: `${namespace}/orders-pods`,
    workloadIdentity: { serviceAccounts: ["orders"] },
  });
  const { code, stderr } = await plugin("token", "orders-pods", "-n", namespace);
  assert.equal(code, 1);
  assert.equal(
    stderr.trim(),
    'error: oauthclient "orders-pods" has no secret: its pods authenticate with their ServiceAccount token ' +
      "(workloadIdentity: orders); run `tollgate fetch --once` in such a pod (docs/workload-identity.md)",
  );
});

test("a client that does not exist: exit 1 and a sentence saying so", async () => {
  for (const command of ["token", "rotate", "revoke", "disable", "enable", "status"]) {
    const { code, stderr } = await plugin(command, "nope", "-n", namespace);
    assert.equal(code, 1, command);
    assert.equal(stderr.trim(), `error: oauthclient "nope" not found in namespace "${namespace}"`);
  }
});

test("status: the registry's state and kstatus's conditions, for a client waiting on Redis and for a stalled one", async () => {
  await stack.world.redis.stop();
  try {
    await createClient(stack.world, oauthClient(namespace, "patient", CLIENT_CREDENTIALS));
    await waitForReason(stack.world, namespace, "patient", "Reconciling", "RegistryUnavailable");
    const { code, stdout } = await plugin("status", "patient", "-n", namespace);
    assert.equal(code, 0);
    assert.match(stdout, /State: +Reconciling \(RegistryUnavailable\): the operator keeps at it/);
    assert.match(
      stdout,
      /Registry: +unreachable \(RegistryUnavailable, since \S+\): The registry \(Redis\) is unreachable/,
    );
    assert.match(stdout, /^ {2}Reconciling +True +RegistryUnavailable /m);
    assert.doesNotMatch(stdout, /^ {2}Stalled /m);
  } finally {
    await stack.world.redis.restart();
  }
  await createClient(stack.world, oauthClient(namespace, "taken", { ...CLIENT_CREDENTIALS, clientId: "patient-dup" }));
  await waitForReady(stack.world, namespace, "taken");
  await createClient(
    stack.world,
    oauthClient(namespace, "taken-too", { ...CLIENT_CREDENTIALS, clientId: "patient-dup" }),
  );
  await waitForReason(stack.world, namespace, "taken-too", "Stalled", "ClientIdConflict");
  const { stdout } = await plugin("status", "taken-too", "-n", namespace);
  assert.match(stdout, /State: +Stalled \(ClientIdConflict\): retrying cannot help/);
  assert.match(
    stdout,
    /Registry: +not attempted \(ClientIdConflict, since \S+\): Not attempted while the client ID is taken/,
  );
  assert.match(stdout, /^ {2}Stalled +True +ClientIdConflict /m);

  await waitForReady(stack.world, namespace, "patient");
  const ready = await plugin("status", "patient", "-n", namespace);
  assert.match(ready.stdout, /State: +Ready$/m);
  assert.match(ready.stdout, /Registry: +registered \(Registered, since \S+\): The registry holds client patient\./);
  assert.match(ready.stdout, /Disabled: +false; the registry serves it since \S+/);
});
