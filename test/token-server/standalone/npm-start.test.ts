// The standalone mode as a person runs it: `npm start` (node token-server/main.ts
// --standalone), no Redis, no cluster; a token fetched with the printed command.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { startProcess, waitFor } from "../../harness/processes.ts";
import { verifyIndependently } from "../fixtures.ts";

const run = promisify(execFile);

async function startStandalone(args: string[]) {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-standalone-"));
  const logFile = join(dir, "out.log");
  const child = startProcess(
    "npm",
    ["start", "--silent", "--", "--port", "0", "--management-port", "0", ...args],
    logFile,
  );
  const output = await waitFor(
    "the standalone server to print its clients",
    async () => {
      const text = await readFile(logFile, "utf8").catch(() => "");
      if (child.child.exitCode !== null) throw new Error(`exited:\n${text}`);
      return /^Tollgate token server \(standalone\)/m.test(text) ? text : undefined;
    },
    { timeoutMs: 30_000 },
  );
  return {
    output,
    async stop() {
      await child.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test("npm start serves the repo's examples and the printed curl command gets a token", async () => {
  const server = await startStandalone([]);
  try {
    const commands = server.output.split("\n").filter((line) => line.trim().startsWith("curl "));
    assert.ok(commands.length > 0, server.output);
    const { stdout } = await run("bash", ["-c", commands[0] as string]);
    const response = JSON.parse(stdout) as { access_token: string; token_type: string };
    assert.equal(response.token_type, "Bearer");
    const url = (/http:\/\/127\.0\.0\.1:\d+/.exec(commands[0] as string) as RegExpExecArray)[0];
    const claims = await verifyIndependently(
      { url },
      response.access_token,
      JSON.parse(Buffer.from(response.access_token.split(".")[1] as string, "base64url").toString()).aud,
    );
    assert.equal(claims.header.typ, "at+jwt");
  } finally {
    await server.stop();
  }
});

test("a folder of multi-document files: non-OAuthClient documents skipped, post clients get a post command", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-manifests-"));
  await writeFile(
    join(dir, "clients.yaml"),
    `apiVersion: tollgate.dev/v1alpha1
kind: OAuthClient
metadata: {name: inventory, namespace: shop}
spec:
  grantTypes: [client_credentials]
  tokenEndpointAuthMethod: client_secret_post
  subject: svc-inventory
  audiences: [https://inventory.example]
  defaultAudience: https://inventory.example
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
data: {a: b}
---
apiVersion: tollgate.dev/v1alpha1
kind: OAuthClient
metadata: {name: cli}
spec:
  clientId: my-cli
  clientType: public
  grantTypes: [authorization_code]
  redirectUris: ["http://127.0.0.1/callback"]
`,
  );
  const server = await startStandalone(["--manifests", dir]);
  try {
    assert.match(server.output, /: 2 client\(s\)/);
    assert.match(server.output, /client inventory\.shop/);
    assert.match(server.output, /client my-cli/);
    const command = server.output
      .split("\n")
      .find((line) => line.includes("--data-urlencode 'client_id=inventory.shop'"));
    assert.ok(command, server.output);
    const { stdout } = await run("bash", ["-c", command]);
    const { access_token } = JSON.parse(stdout) as { access_token: string };
    const url = (/http:\/\/127\.0\.0\.1:\d+/.exec(command) as RegExpExecArray)[0];
    const claims = await verifyIndependently({ url }, access_token, "https://inventory.example");
    assert.equal(claims.sub, "svc-inventory");
    // The JSON log lines never carry the printed secret.
    const secret = (/client_secret:\s+(\S+)/.exec(server.output) as RegExpExecArray)[1] as string;
    const logLines = server.output.split("\n").filter((line) => line.startsWith("{"));
    assert.ok(logLines.length > 0);
    assert.ok(logLines.every((line) => !line.includes(secret)));
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a manifest the API server would refuse is refused in standalone too, with the API server's cause", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-manifests-"));
  await writeFile(
    join(dir, "clients.yaml"),
    `apiVersion: tollgate.dev/v1alpha1
kind: OAuthClient
metadata: {name: public-worker}
spec:
  clientType: public
  grantTypes: [client_credentials]
---
apiVersion: tollgate.dev/v1alpha1
kind: OAuthClient
metadata: {name: worker}
spec:
  grantTypes: [client_credentials]
`,
  );
  const server = await startStandalone(["--manifests", dir]);
  try {
    assert.match(server.output, /: 1 client\(s\)/);
    assert.match(server.output, /client worker\.default/);
    assert.doesNotMatch(server.output, /client public-worker/);
    const refusal = server.output.split("\n").find((line) => line.includes("the API server would refuse"));
    assert.ok(refusal, server.output);
    assert.match(refusal, /spec\.grantTypes: .*a public client can use only authorization_code/);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
