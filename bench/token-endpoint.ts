// Token endpoint benchmark (npm run bench): client-credentials issuance (ES256 JWT,
// client_secret_basic) on Tollgate, on oidc-provider doing the same work, and on the
// floor (Koa + jose: parse, compare, sign), each in its own process, driven by
// autocannon on loopback, in alternating rounds; then Tollgate's introspection, its
// resident memory with 10,000 clients in the registry, and the two-worker figures.
//
// Knobs (environment): BENCH_SECONDS (5 per run), BENCH_ROUNDS (5), BENCH_CONNECTIONS
// (16), BENCH_CLIENTS (10000). On a machine shared with other work, single runs vary a
// lot; the three servers run back to back in each round, so ratios are taken within a
// round (paired) and the median over rounds is reported, along with each server's
// median run and its CPU time per request. Tollgate runs as the image runs it: compiled to
// JavaScript (lib/shipped-script.ts) with the image's Node flags (lib/image-node-flags.ts);
// the floor and oidc-provider with Node's defaults.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateRecordKey, RecordKeyRing, serializeRecordKey } from "../registry/record-keys.ts";
import { RedisRegistry } from "../registry/redis-registry.ts";
import { generateSigningKey, serializeSigningKey } from "../registry/signing-key-format.ts";
import { freePort } from "../test/harness/processes.ts";
import { removeRedisDir, startRedis } from "../test/harness/redis.ts";
import { BASIC_AUTHORIZATION, TOKEN_BODY, TOKEN_HEADERS } from "./lib/bench-client.ts";
import { imageNodeFlags } from "./lib/image-node-flags.ts";
import { type LoadResult, runLoad } from "./lib/load.ts";
import { putBenchClient, putOtherClients } from "./lib/registry-fill.ts";
import { type ServerProcess, startServerProcess } from "./lib/server-process.ts";
import { shippedScript } from "./lib/shipped-script.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10_000);
const TOLLGATE_READY = '"msg":"token server listening"';

/** A load run and the server's CPU time per request during it (less sensitive to a shared machine). */
interface Measured extends LoadResult {
  cpuMicrosPerRequest: number;
}

interface Target {
  name: string;
  tokenUrl: string;
  server: ServerProcess;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const redis = await startRedis();
  const recordKey = await generateRecordKey();
  const recordKeys = new RecordKeyRing();
  recordKeys.install({ current: recordKey });
  const registry = await RedisRegistry.connect(redis.url, recordKeys);
  const keysDir = await mkdtemp(join(tmpdir(), "tollgate-bench-keys-"));
  await writeFile(join(keysDir, "current.jwk"), serializeSigningKey(await generateSigningKey("ES256")));
  const recordKeysDir = await mkdtemp(join(tmpdir(), "tollgate-bench-record-keys-"));
  await writeFile(join(recordKeysDir, "current.jwk"), serializeRecordKey(recordKey));
  const running: ServerProcess[] = [];
  try {
    await putBenchClient(registry);
    await registry.markInitialised(); // what the operator does once every client is written
    const tollgateArgs = (port: number, managementPort = 0) => [
      "--redis-url",
      redis.url,
      "--signing-keys-dir",
      keysDir,
      "--registry-keys-dir",
      recordKeysDir,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--management-port",
      String(managementPort),
      "--issuer",
      `http://127.0.0.1:${port}`,
      "--log-level",
      "info",
    ];
    const tollgatePort = await freePort();
    const managementPort = await freePort();
    const tollgate = await startServerProcess(
      shippedScript("token-server/main.ts"),
      tollgateArgs(tollgatePort, managementPort),
      TOLLGATE_READY,
      { nodeFlags: imageNodeFlags() },
    );
    running.push(tollgate);
    const tollgateUrl = `http://127.0.0.1:${tollgatePort}`;
    await settle();
    const rssOneClient = await tollgate.rssMiB();
    say(`filling the registry with ${CLIENTS} clients ...`);
    await putOtherClients(registry, CLIENTS - 1);
    await waitForClients(`http://127.0.0.1:${managementPort}`, CLIENTS);
    await settle();
    const rssLoaded = await tollgate.rssMiB();

    const floorPort = await freePort();
    const oidcPort = await freePort();
    const floor = await startServerProcess(
      "bench/servers/floor.ts",
      [String(floorPort), `http://127.0.0.1:${floorPort}`],
      "READY",
    );
    running.push(floor);
    const oidc = await startServerProcess(
      "bench/servers/oidc-provider.ts",
      [String(oidcPort), `http://127.0.0.1:${oidcPort}`],
      "READY",
    );
    running.push(oidc);
    const targets: Target[] = [
      { name: "floor (Koa + jose)", tokenUrl: `http://127.0.0.1:${floorPort}/oauth2/token`, server: floor },
      { name: "tollgate", tokenUrl: `${tollgateUrl}/oauth2/token`, server: tollgate },
      { name: "oidc-provider", tokenUrl: `http://127.0.0.1:${oidcPort}/token`, server: oidc },
    ];
    for (const target of targets) await sanityCheck(target.tokenUrl);
    await settle();
    const rssFloor = await floor.rssMiB();
    const rssOidc = await oidc.rssMiB();

    say(
      `\nclient_credentials, ES256 JWT, client_secret_basic: ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds`,
    );
    for (const target of targets) await tokenLoad(target.tokenUrl, 2);
    const runs = new Map<string, Measured[]>(targets.map((target) => [target.name, []]));
    for (let round = 1; round <= ROUNDS; round++)
      for (const target of targets) {
        const result = await measured(target.server, () => tokenLoad(target.tokenUrl, SECONDS));
        runs.get(target.name)?.push(result);
        say(`  round ${round} ${target.name.padEnd(20)} ${format(result)}  ${cpuFormat(result)}`);
      }
    const typical = new Map([...runs].map(([name, list]) => [name, medianRun(list)]));
    const rssAfterLoad = await tollgate.rssMiB();

    // Introspection of a JWT: verify the signature, check the registry, ask Redis for the revoked jti.
    const issued = (await (
      await fetch(`${tollgateUrl}/oauth2/token`, { method: "POST", headers: TOKEN_HEADERS, body: TOKEN_BODY })
    ).json()) as {
      access_token: string;
    };
    await runLoad({
      url: `${tollgateUrl}/oauth2/introspect`,
      body: `token=${issued.access_token}`,
      headers: TOKEN_HEADERS,
      seconds: 2,
      connections: CONNECTIONS,
    });
    const introspection = await measured(tollgate, () =>
      runLoad({
        url: `${tollgateUrl}/oauth2/introspect`,
        body: `token=${issued.access_token}`,
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: BASIC_AUTHORIZATION },
        seconds: SECONDS,
        connections: CONNECTIONS,
      }),
    );
    for (const server of running.splice(0)) await server.stop();

    // Both cores: two worker processes per server on one port (the load generator shares the cores).
    const clusterPort = await freePort();
    const tollgate2 = await startServerProcess(
      "bench/servers/cluster.ts",
      ["2", shippedScript("token-server/main.ts"), ...tollgateArgs(clusterPort)],
      TOLLGATE_READY,
      { readyCount: 2, nodeFlags: imageNodeFlags() },
    );
    running.push(tollgate2);
    await tokenLoad(`http://127.0.0.1:${clusterPort}/oauth2/token`, 2);
    const tollgateTwo = await tokenLoad(`http://127.0.0.1:${clusterPort}/oauth2/token`, SECONDS);
    await tollgate2.stop();
    running.splice(0);
    const floorClusterPort = await freePort();
    const floor2 = await startServerProcess(
      "bench/servers/cluster.ts",
      ["2", "bench/servers/floor.ts", String(floorClusterPort), `http://127.0.0.1:${floorClusterPort}`],
      "READY",
      { readyCount: 2 },
    );
    running.push(floor2);
    await tokenLoad(`http://127.0.0.1:${floorClusterPort}/oauth2/token`, 2);
    const floorTwo = await tokenLoad(`http://127.0.0.1:${floorClusterPort}/oauth2/token`, SECONDS);
    await floor2.stop();
    running.splice(0);

    const T = "tollgate";
    const F = "floor (Koa + jose)";
    const O = "oidc-provider";
    const t = typical.get(T) as Measured;
    const pairedRatio = (a: string, b: string, of: (m: Measured) => number) =>
      median((runs.get(a) ?? []).map((run, i) => of(run) / of((runs.get(b) ?? [])[i] as Measured)));
    const throughput = (m: Measured) => m.requestsPerSecond;
    const cpuCost = (m: Measured) => 1 / m.cpuMicrosPerRequest;
    say("\nresults (one server process each; the median run of each)");
    for (const [name, result] of typical) say(`  ${name.padEnd(20)} ${format(result)}  ${cpuFormat(result)}`);
    say(`  ${"tollgate introspect".padEnd(20)} ${format(introspection)}  ${cpuFormat(introspection)}`);
    say("\nratios (median over rounds of the ratio within a round)");
    say("                            throughput   by CPU per request");
    const line = (label: string, a: string, b: string, target: string) =>
      say(
        `  ${label.padEnd(26)}${pairedRatio(a, b, throughput).toFixed(2).padStart(6)}${pairedRatio(a, b, cpuCost).toFixed(2).padStart(16)}   ${target}`,
      );
    line("tollgate / floor", T, F, "(target >= 1.0 by CPU: the floor is the minimum work)");
    line("tollgate / oidc-provider", T, O, "(target >= 1.50)");
    line("floor / oidc-provider", F, O, "");
    say("\ntwo worker processes (both cores, shared with the load generator)");
    say(`  ${"tollgate x2".padEnd(20)} ${format(tollgateTwo)}`);
    say(`  ${"floor x2".padEnd(20)} ${format(floorTwo)}`);
    say(`  tollgate x2 / floor x2    ${(tollgateTwo.requestsPerSecond / floorTwo.requestsPerSecond).toFixed(2)}`);
    say(`  tollgate x2 / tollgate x1 ${(tollgateTwo.requestsPerSecond / t.requestsPerSecond).toFixed(2)}`);
    say("\ntollgate resident memory");
    say(
      `  1 client: ${rssOneClient.toFixed(1)} MiB; ${CLIENTS} clients: ${rssLoaded.toFixed(1)} MiB; after load: ${rssAfterLoad.toFixed(1)} MiB`,
    );
    say(
      `  for scale, idle after one request: floor ${rssFloor.toFixed(1)} MiB, oidc-provider ${rssOidc.toFixed(1)} MiB`,
    );
    const failures = [...[...runs.values()].flat(), introspection, tollgateTwo, floorTwo].filter(
      (r) => r.non2xx > 0 || r.errors > 0,
    );
    if (failures.length > 0) throw new Error(`a run had non-2xx responses or errors: ${JSON.stringify(failures)}`);

    await mkdir(".tollgate/bench", { recursive: true });
    await writeFile(
      ".tollgate/bench/token-endpoint.json",
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          seconds: SECONDS,
          rounds: ROUNDS,
          connections: CONNECTIONS,
          clients: CLIENTS,
          issuance: Object.fromEntries(runs),
          introspection,
          twoWorkers: { tollgate: tollgateTwo, floor: floorTwo },
          rssMiB: {
            oneClient: rssOneClient,
            loaded: rssLoaded,
            afterLoad: rssAfterLoad,
            floor: rssFloor,
            oidcProvider: rssOidc,
          },
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    for (const server of running) await server.stop();
    await registry.close();
    await redis.stop();
    await removeRedisDir(redis);
    await rm(keysDir, { recursive: true, force: true });
  }
}

function tokenLoad(url: string, seconds: number): Promise<LoadResult> {
  return runLoad({ url, body: TOKEN_BODY, headers: TOKEN_HEADERS, seconds, connections: CONNECTIONS });
}

async function measured(server: ServerProcess, run: () => Promise<LoadResult>): Promise<Measured> {
  const before = await server.cpuSeconds();
  const result = await run();
  const used = (await server.cpuSeconds()) - before;
  return { ...result, cpuMicrosPerRequest: (used * 1e6) / Math.max(1, result.total) };
}

function medianRun(list: Measured[]): Measured {
  const sorted = [...list].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Measured;
}

function cpuFormat(result: Measured): string {
  return `${result.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU/request`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function format(result: LoadResult): string {
  return `${result.requestsPerSecond.toFixed(0).padStart(6)} req/s   p50 ${String(result.p50).padStart(3)} ms   p99 ${String(result.p99).padStart(3)} ms   (${result.total} requests)`;
}

async function sanityCheck(url: string): Promise<void> {
  const response = await fetch(url, { method: "POST", headers: TOKEN_HEADERS, body: TOKEN_BODY });
  const body = (await response.json()) as { access_token?: string };
  const header = JSON.parse(Buffer.from((body.access_token ?? "").split(".")[0] ?? "", "base64url").toString() || "{}");
  if (response.status !== 200 || header.alg !== "ES256" || header.typ !== "at+jwt")
    throw new Error(`${url} did not issue an ES256 at+jwt: ${response.status} ${JSON.stringify(body)}`);
}

async function waitForClients(url: string, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const body = (await (await fetch(`${url}/readyz`)).json()) as { registry: string };
    if (body.registry === `loaded (${count} clients)`) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the token server did not load ${count} clients`);
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2000));
}

await main();
