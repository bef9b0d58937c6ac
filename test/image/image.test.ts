// The image we ship, as the chart runs it: built from the Dockerfile by podman (build.sh,
// against the locally recreated node:24-bookworm-slim), then run as UID 10001 with a
// read-only root filesystem, no capabilities and no-new-privileges. Nothing is copied by hand:
// the token comes from the command the standalone token server prints, verified against its
// JWKS. Every container this file starts is removed when it ends, however it ends.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { freePort, waitFor } from "../harness/processes.ts";
import { verifyIndependently } from "../token-server/fixtures.ts";
import { type BuiltImages, buildImages, podmanRunFlags } from "./images.ts";

const run = promisify(execFile);

/** The chart's container security context, as podman flags. */
const RESTRICTED = ["--user", "10001:10001", "--read-only", "--cap-drop=ALL", "--security-opt", "no-new-privileges"];

/** One command in the Tollgate image, restricted and with no network, run to its end. */
function runOffline(args: string[]) {
  return run("podman", [
    "run",
    "--rm",
    ...podmanRunFlags(),
    ...RESTRICTED,
    "--network",
    "none",
    images.tollgate.ref,
    ...args,
  ]);
}

const containers = new Set<string>();
let counter = 0;

function removeAll(): void {
  for (const name of containers) {
    try {
      execFileSync("podman", ["rm", "--force", "--volumes", "--time", "0", name], { stdio: "ignore" });
    } catch {
      // Already gone (--rm).
    }
  }
  containers.clear();
}
process.once("exit", removeAll);

/** `podman run -d` with the machine's flags and the restricted context; returns the container's name. */
async function startContainer(image: string, runArgs: string[], command: string[]): Promise<string> {
  const name = `tollgate-image-test-${process.pid}-${++counter}`;
  containers.add(name);
  await run("podman", [
    "run",
    "--detach",
    "--rm",
    "--name",
    name,
    ...podmanRunFlags(),
    ...RESTRICTED,
    ...runArgs,
    image,
    ...command,
  ]);
  return name;
}

async function logs(name: string): Promise<string> {
  const { stdout, stderr } = await run("podman", ["logs", name], { maxBuffer: 16 * 1024 * 1024 });
  return stdout + stderr;
}

async function exec(name: string, command: string[]): Promise<string> {
  return (await run("podman", ["exec", name, ...command])).stdout;
}

/** Splits a printed shell command into words (single quotes, as the token server prints them). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/(?:'[^']*'|[^\s'])+/g))
    words.push(match[0].replace(/'([^']*)'/g, "$1").replace(/\\'/g, "'"));
  return words;
}

/** The HTTP request a printed `curl -s ...` command makes: -u, -H, -d and --data-urlencode. */
function curlRequest(command: string): { url: string; init: RequestInit } {
  const words = shellWords(command.trim());
  assert.equal(words[0], "curl", command);
  const headers = new Headers();
  const form = new URLSearchParams();
  let url: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    const value = (): string => {
      const next = words[++i];
      assert.ok(next !== undefined, `${word} without a value in ${command}`);
      return next;
    };
    if (word === "-s") continue;
    if (word === "-u") headers.set("authorization", `Basic ${Buffer.from(value()).toString("base64")}`);
    else if (word === "-H") {
      const [key, ...rest] = value().split(":");
      headers.set(key as string, rest.join(":").trim());
    } else if (word === "-d") for (const [k, v] of new URLSearchParams(value())) form.append(k, v);
    else if (word === "--data-urlencode") {
      const [key, ...rest] = value().split("=");
      form.append(key as string, rest.join("="));
    } else if (/^https?:\/\//.test(word)) url = word;
    else assert.fail(`unexpected curl argument ${word} in ${command}`);
  }
  assert.ok(url, command);
  return { url, init: { method: "POST", headers, body: form } };
}

let images: BuiltImages;

before(() => {
  images = buildImages();
});
after(removeAll);

test("build.sh reports each image with an archive that carries its tags", () => {
  for (const image of [images.base, images.redis, images.tollgate]) {
    const manifest = JSON.parse(
      execFileSync("tar", ["-xOf", image.archive, "manifest.json"], { encoding: "utf8" }),
    ) as {
      RepoTags: string[];
    }[];
    assert.equal(manifest.length, 1, image.archive);
    assert.ok(manifest[0]?.RepoTags.includes(image.ref), `${image.archive}: ${JSON.stringify(manifest)}`);
    assert.ok(image.size > 0);
  }
  assert.match(images.tollgate.ref, /^localhost\/tollgate:[0-9a-f]{12}$/);
  const tags = execFileSync("tar", ["-xOf", images.tollgate.archive, "manifest.json"], { encoding: "utf8" });
  assert.match(tags, /"localhost\/tollgate:test"/);
  const imageId = (ref: string) =>
    execFileSync("podman", ["image", "inspect", "--format", "{{.Id}}", ref], { encoding: "utf8" }).trim();
  assert.equal(imageId("localhost/tollgate:test"), imageId(images.tollgate.ref));
});

test("operator --help exits 0 and prints the flags", async () => {
  const { stdout } = await runOffline(["operator", "--help"]);
  assert.match(stdout, /^Usage: node operator\/main\.ts/m);
  assert.match(stdout, /--kubeconfig/);
});

test("registrar --help exits 0 and prints its flags: the third command of the one image", async () => {
  const { stdout } = await runOffline(["registrar", "--help"]);
  assert.match(stdout, /^usage: tollgate registrar \[flags\]/m);
  assert.match(stdout, /--registration-endpoint/);
  assert.match(stdout, /--key-file/);
});

test("token-server --standalone in the image: a token from the printed command, verified against the JWKS, as UID 10001", async () => {
  // The same port inside and out, so the printed command and the issuer are right as printed.
  const port = await freePort();
  const name = await startContainer(
    images.tollgate.ref,
    ["--publish", `127.0.0.1:${port}:${port}`],
    ["token-server", "--standalone", "--host", "0.0.0.0", "--port", String(port)],
  );
  const output = await waitFor(
    "the standalone token server to print its clients",
    async () => {
      const text = await logs(name);
      return /^Tollgate token server \(standalone\): \d+ client/m.test(text) ? text : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  const commands = output.split("\n").filter((line) => line.trim().startsWith("curl "));
  assert.ok(commands.length > 0, output);
  for (const command of commands) {
    const { url, init } = curlRequest(command);
    assert.equal(url, `http://127.0.0.1:${port}/oauth2/token`);
    const response = await fetch(url, init);
    const body = (await response.json()) as { access_token: string; token_type: string };
    assert.equal(response.status, 200, `${command}: ${JSON.stringify(body)}`);
    assert.equal(body.token_type, "Bearer");
    const payload = JSON.parse(Buffer.from(body.access_token.split(".")[1] as string, "base64url").toString()) as {
      aud: string;
    };
    const claims = await verifyIndependently({ url: `http://127.0.0.1:${port}` }, body.access_token, payload.aud);
    assert.equal(claims.header.typ, "at+jwt");
  }

  // The process runs as 10001 with no capabilities and no_new_privs, on a read-only root.
  assert.equal((await exec(name, ["id", "-u"])).trim(), "10001");
  const status = await exec(name, ["cat", "/proc/1/status"]);
  assert.match(status, /^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
  assert.match(status, /^Gid:\s+10001\s+10001\s+10001\s+10001$/m);
  assert.match(status, /^CapEff:\s+0+$/m);
  assert.match(status, /^CapPrm:\s+0+$/m);
  assert.match(status, /^NoNewPrivs:\s+1$/m);
  // PID 1 is node itself, with the Dockerfile's memory flags (bench/lib/image-node-flags.ts reads the same line),
  // running the compiled JavaScript: the image holds no TypeScript of its own to strip.
  assert.match(
    await exec(name, ["cat", "/proc/1/cmdline"]),
    /^node\0--max-semi-space-size=2\0--heap-growing-percent=20\0bin\/tollgate\.js\0token-server\0/,
  );
  assert.equal(
    (
      await exec(name, ["find", "/app", "-path", "/app/node_modules", "-prune", "-o", "-name", "*.ts", "-print"])
    ).trim(),
    "",
  );
  // The pages' stylesheet is a file beside the compiled module that reads it (the browser flow, loaded lazily).
  const stylesheet = await fetch(`http://127.0.0.1:${port}/oauth2/assets/tollgate.css`);
  assert.equal(stylesheet.status, 200);
  assert.match(stylesheet.headers.get("content-type") ?? "", /^text\/css/);
  assert.ok((await stylesheet.text()).length > 100);

  // `fetch URL` (the chart's helm test) from a second container in this one's network: the
  // entrypoint's own branch, against the token server's discovery document.
  const discovery = `http://127.0.0.1:${port}/.well-known/openid-configuration`;
  const fetched = await run("podman", [
    "run",
    "--rm",
    ...podmanRunFlags(),
    ...RESTRICTED,
    "--network",
    `container:${name}`,
    images.tollgate.ref,
    "fetch",
    discovery,
  ]);
  assert.ok(fetched.stdout.startsWith(`200 ${discovery}\n`), fetched.stdout);
  assert.match(fetched.stdout, /"token_endpoint"/);
  await assert.rejects(exec(name, ["touch", "/app/written"]), /Read-only file system/);
});

test("fetch --client-id loads bin/fetch/main.js: without a ServiceAccount token it says so and exits 1", async () => {
  // The lazily imported module runs (a missing module would fail with ERR_MODULE_NOT_FOUND instead).
  const failed = await runOffline([
    "fetch",
    "--token-endpoint",
    "http://127.0.0.1:1/oauth2/token",
    "--client-id",
    "orders.default",
    "--once",
  ]).then(
    () => assert.fail("fetch --once without a ServiceAccount token exited 0"),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /^tollgate fetch: /m);
  assert.doesNotMatch(failed.stderr, /ERR_MODULE_NOT_FOUND/);
});

test("the bundled Redis image as the chart runs it: redis-server from the args, redis-cli ping, as UID 10001", async () => {
  // The chart's args and security context; /data is the image's volume (a PVC in the chart).
  const name = await startContainer(
    images.redis.ref,
    ["--network", "none"],
    ["--appendonly", "yes", "--dir", "/data", "--protected-mode", "no"],
  );
  await waitFor(
    "redis-cli ping",
    async () => ((await exec(name, ["redis-cli", "ping"])).trim() === "PONG" ? true : undefined),
    {
      timeoutMs: 30_000,
      intervalMs: 250,
    },
  );
  assert.equal((await exec(name, ["redis-cli", "set", "tollgate", "image-test"])).trim(), "OK");
  assert.equal((await exec(name, ["redis-cli", "get", "tollgate"])).trim(), "image-test");
  assert.match(await exec(name, ["ls", "/data/appendonlydir"]), /appendonly\.aof\.manifest/);
  const status = await exec(name, ["cat", "/proc/1/status"]);
  assert.match(status, /^Uid:\s+10001\s+10001\s+10001\s+10001$/m);
  assert.match(await exec(name, ["cat", "/proc/1/cmdline"]), /^redis-server/);
  assert.match(await exec(name, ["redis-server", "--version"]), /v=7\.0\./);
});

test("the recreated base image: Node 24 from the project, npm, the node user, CMD node", async () => {
  const expected = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  const nodeVersion = (JSON.parse(expected) as { devDependencies: { node: string } }).devDependencies.node;
  const { stdout } = await run("podman", [
    "run",
    "--rm",
    ...podmanRunFlags(),
    "--network",
    "none",
    images.base.ref,
    "sh",
    "-c",
    "node --version && npm --version && id node",
  ]);
  const [node, npm, user] = stdout.trim().split("\n");
  assert.equal(node, `v${nodeVersion}`);
  assert.match(npm as string, /^11\./);
  assert.match(user as string, /^uid=1000\(node\) gid=1000\(node\)/);
  const config = execFileSync("podman", ["image", "inspect", "--format", "{{json .Config.Cmd}}", images.base.ref], {
    encoding: "utf8",
  });
  assert.equal(config.trim(), '["node"]');
});
