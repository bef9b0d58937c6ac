// The public port over https (--tls-cert-file, --tls-key-file): the issuer and every
// endpoint in discovery become https, a client that trusts the CA gets a token, and a
// renewed certificate (a mounted Secret's files replaced) is served without a restart,
// while a pair that does not match is refused and the last good one keeps serving.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { httpsRequest } from "../harness/https-request.ts";
import { startProcess, waitFor } from "../harness/processes.ts";
import { makeServingCertificate } from "../harness/tls-certificate.ts";

const run = promisify(execFile);

function httpsGet(url: string, ca: string) {
  return httpsRequest(url, { ca });
}

test("https on the public port: discovery, a token, and a renewed certificate without a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-tls-"));
  const first = makeServingCertificate(join(dir, "pki"), { name: "first" });
  const second = makeServingCertificate(join(dir, "pki"), { name: "second" });
  const mounted = { cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
  copyFileSync(first.certFile, mounted.cert);
  copyFileSync(first.keyFile, mounted.key);
  const logFile = join(dir, "out.log");
  const child = startProcess(
    "npm",
    [
      "start",
      "--silent",
      "--",
      "--port",
      "0",
      "--management-port",
      "0",
      "--keys-poll-interval",
      "1",
      "--tls-cert-file",
      mounted.cert,
      "--tls-key-file",
      mounted.key,
    ],
    logFile,
  );
  try {
    const output = await waitFor(
      "the standalone server to print its clients",
      async () => {
        const text = await readFile(logFile, "utf8").catch(() => "");
        if (child.child.exitCode !== null) throw new Error(`exited:\n${text}`);
        return /^Tollgate token server \(standalone\)/m.test(text) ? text : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const base = (/https:\/\/127\.0\.0\.1:\d+/.exec(output) as RegExpExecArray | null)?.[0];
    assert.ok(base, `the printed endpoints are https:\n${output}`);

    const discovery = await httpsGet(`${base}/.well-known/oauth-authorization-server`, first.caPem);
    assert.equal(discovery.status, 200);
    const metadata = JSON.parse(discovery.body) as Record<string, string>;
    assert.equal(metadata.issuer, base);
    assert.equal(metadata.token_endpoint, `${base}/oauth2/token`);
    assert.equal(metadata.jwks_uri, `${base}/oauth2/jwks`);
    const serial = async (file: string) => new X509Certificate(await readFile(file)).serialNumber;
    assert.equal(discovery.peerSerial, await serial(first.certFile));

    // The printed curl command, trusting the CA: a client of the https endpoint gets a token.
    const curl = output.split("\n").find((line) => line.trim().startsWith("curl -s ")) as string;
    const { stdout } = await run("bash", [
      "-c",
      curl.replace("curl -s ", `curl -sS --cacert ${join(dir, "pki", "ca.crt")} `),
    ]);
    const { access_token: accessToken, token_type: tokenType } = JSON.parse(stdout) as Record<string, string>;
    assert.equal(tokenType, "Bearer");
    const claims = JSON.parse(Buffer.from((accessToken as string).split(".")[1] as string, "base64url").toString());
    assert.equal(claims.iss, base, "tokens carry the https issuer");

    // cert-manager renews: the mounted pair is replaced (here by rename, as atomic as the kubelet's swap).
    copyFileSync(second.keyFile, `${mounted.key}.new`);
    copyFileSync(second.certFile, `${mounted.cert}.new`);
    renameSync(`${mounted.key}.new`, mounted.key);
    renameSync(`${mounted.cert}.new`, mounted.cert);
    const renewed = await serial(second.certFile);
    await waitFor(
      "the renewed certificate to be served",
      async () => (await httpsGet(`${base}/oauth2/jwks`, second.caPem)).peerSerial === renewed || undefined,
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    assert.match(await readFile(logFile, "utf8"), /TLS certificate loaded/);

    // A half-written mount: the first certificate with the second's key. Refused; the renewed pair keeps serving.
    copyFileSync(first.certFile, `${mounted.cert}.new`);
    renameSync(`${mounted.cert}.new`, mounted.cert);
    await waitFor(
      "the mismatched pair to be refused",
      async () =>
        /TLS certificate not loaded; keeping the previous one/.test(await readFile(logFile, "utf8")) || undefined,
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    assert.equal((await httpsGet(`${base}/oauth2/jwks`, second.caPem)).peerSerial, renewed);
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
