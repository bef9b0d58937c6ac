// SIGTERM as Kubernetes sends it: the token server drains (answers what reached it,
// tells keep-alive clients to reconnect elsewhere, refuses new connections) and exits
// within --shutdown-timeout even when Redis never answers.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateRecordKey, RECORD_KEY_FILES, serializeRecordKey } from "../../registry/record-keys.ts";
import { generateSigningKey, KEY_FILES } from "../../registry/signing-key-format.ts";
import { startFreezableProxy } from "../harness/freezable-proxy.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "../harness/processes.ts";

const MAIN = join(import.meta.dirname, "..", "..", "token-server", "main.ts");

async function startServer(args: string[], ready: RegExp) {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-shutdown-"));
  const logFile = join(dir, "out.log");
  const server = startProcess(process.execPath, [MAIN, "--management-port", "0", ...args], logFile);
  const output = await waitFor(
    "the token server to listen",
    async () => {
      const text = await readFile(logFile, "utf8").catch(() => "");
      if (server.child.exitCode !== null) throw new Error(`exited:\n${text}`);
      return ready.test(text) ? text : undefined;
    },
    { timeoutMs: 30_000 },
  );
  return { server, output, dir, log: () => readFile(logFile, "utf8") };
}

function exited(server: ManagedProcess): Promise<{ code: number | null; afterMs: number }> {
  const start = Date.now();
  return new Promise((resolve) => server.child.once("exit", (code) => resolve({ code, afterMs: Date.now() - start })));
}

test("SIGTERM under keep-alive load: every request that reached the server is answered, then it exits 0", async () => {
  const port = await freePort();
  const { server, output, dir } = await startServer(
    ["--standalone", "--port", String(port), "--shutdown-timeout", "10"],
    /^Tollgate token server \(standalone\)/m,
  );
  try {
    const match = /-u '([^':]+):([^']+)' -d grant_type=client_credentials (http:\S+)/.exec(output);
    assert.ok(match, output);
    const [, id, secret, url] = match as unknown as [string, string, string, string];
    const authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
    const tally = { ok: 0, failed: [] as string[], refused: 0, closeHeaders: 0 };
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          const res = await fetch(url, {
            method: "POST",
            headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
            body: "grant_type=client_credentials",
          });
          await res.arrayBuffer();
          if (res.status === 200) tally.ok += 1;
          else tally.failed.push(`HTTP ${res.status}`);
          if (res.headers.get("connection") === "close") tally.closeHeaders += 1;
        } catch (error) {
          // A connection the server never accepted is no lost request: in a cluster the
          // client reaches another replica. Anything else is a request lost mid-flight.
          const code = (error as { cause?: { code?: string } }).cause?.code;
          if (code === "ECONNREFUSED") {
            tally.refused += 1;
            stop = true;
          } else tally.failed.push(String(code ?? error));
        }
      }
    };
    // A request whose body is still arriving when SIGTERM comes must still be answered.
    const slow = new Promise<number>((resolve, reject) => {
      const req = request(url, {
        method: "POST",
        headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write("grant_type=");
      setTimeout(() => req.end("client_credentials"), 1500);
    });
    const workers = Array.from({ length: 8 }, worker);
    await waitFor("load to run", async () => tally.ok >= 200 || undefined);
    const exit = exited(server);
    process.kill(server.child.pid as number, "SIGTERM");
    const end = setTimeout(() => {
      stop = true;
    }, 8000);
    await Promise.all(workers);
    clearTimeout(end);
    assert.equal(await slow, 200, "the in-flight request was answered");
    const { code } = await exit;
    assert.deepEqual(tally.failed, [], `${tally.ok} answered, lost: ${tally.failed.join(", ")}`);
    assert.ok(tally.closeHeaders > 0, "draining responses told keep-alive clients to reconnect");
    assert.ok(tally.refused > 0, "new connections were refused after the drain began");
    assert.equal(code, 0);
  } finally {
    await server.stop(1000);
    await rm(dir, { recursive: true, force: true });
  }
});

test("SIGTERM with Redis hung: the token server still exits within --shutdown-timeout", async () => {
  // Nothing listens behind a frozen proxy: connections are accepted and never answered.
  const hung = await startFreezableProxy("127.0.0.1", await freePort());
  hung.freeze();
  const keysDir = await mkdtemp(join(tmpdir(), "tollgate-keys-"));
  await writeFile(join(keysDir, KEY_FILES.current), JSON.stringify(await generateSigningKey()));
  const recordKeysDir = await mkdtemp(join(tmpdir(), "tollgate-record-keys-"));
  await writeFile(join(recordKeysDir, RECORD_KEY_FILES.current), serializeRecordKey(await generateRecordKey()));
  const { server, dir, log } = await startServer(
    [
      "--port",
      String(await freePort()),
      "--redis-url",
      `redis://127.0.0.1:${hung.port}`,
      "--signing-keys-dir",
      keysDir,
      "--registry-keys-dir",
      recordKeysDir,
      "--shutdown-timeout",
      "3",
    ],
    /token server listening/,
  );
  try {
    const exit = exited(server);
    process.kill(server.child.pid as number, "SIGTERM");
    const { afterMs } = await exit;
    assert.ok(afterMs < 3000 + 2000, `exited ${afterMs} ms after SIGTERM:\n${await log()}`);
    assert.match(await log(), /shutting down/);
  } finally {
    await server.stop(1000);
    await hung.close();
    await rm(dir, { recursive: true, force: true });
    await rm(keysDir, { recursive: true, force: true });
    await rm(recordKeysDir, { recursive: true, force: true });
  }
});
