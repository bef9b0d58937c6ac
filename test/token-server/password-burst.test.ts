// Password guesses are counted before they are evaluated (users/password-throttle.ts):
// a burst of concurrent wrong guesses, split over two token-server processes sharing
// one Redis, gets exactly the per-user limit evaluated, on the password grant and on
// the login page. Observed by the answers ("wrong" means evaluated, "too many" means
// refused unevaluated), not by timing.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import bcrypt from "bcryptjs";
import { generateRecordKey, RECORD_KEY_FILES, RecordKeyRing, serializeRecordKey } from "../../registry/record-keys.ts";
import { RedisRegistry } from "../../registry/redis-registry.ts";
import { generateSigningKey, KEY_FILES } from "../../registry/signing-key-format.ts";
import { PASSWORD_THROTTLE } from "../../token-server/users/password-throttle.ts";
import { freePort, type ManagedProcess, startProcess, waitFor } from "../harness/processes.ts";
import { removeRedisDir, startRedis, type TestRedis } from "../harness/redis.ts";
import { hiddenFields, UserAgent } from "./authorization-code/support.ts";
import { basic, clientRecord, identityMapping } from "./fixtures.ts";

const MAIN = join(import.meta.dirname, "..", "..", "token-server", "main.ts");
const BURST = 30;
// Cost 10, as htpasswd -B writes by default: each comparison takes long enough that the
// whole burst is in flight before the first one is judged.
const USERS = [`ada:${bcrypt.hashSync("ada-right-pw", 10)}`];

let redis: TestRedis;
let registry: RedisRegistry;
let dir: string;
let servers: { url: string; process: ManagedProcess }[] = [];

before(async () => {
  redis = await startRedis();
  // This test writes the registry itself, as the operator would: sealed with a record key
  // the token servers read from their --registry-keys-dir, and marked built.
  const recordKey = await generateRecordKey();
  const recordKeys = new RecordKeyRing();
  recordKeys.install({ current: recordKey });
  registry = await RedisRegistry.connect(redis.url, recordKeys);
  await registry.markInitialised();
  dir = await mkdtemp(join(tmpdir(), "tollgate-burst-"));
  await writeFile(join(dir, KEY_FILES.current), JSON.stringify(await generateSigningKey()));
  await mkdir(join(dir, "record-keys"));
  await writeFile(join(dir, "record-keys", RECORD_KEY_FILES.current), serializeRecordKey(recordKey));
  const ports = [await freePort(), await freePort()];
  // One issuer for both, as behind one Service: sessions and pending requests are shared.
  const issuer = `http://127.0.0.1:${ports[0]}`;
  servers = ports.map((port, i) => {
    const args = [
      ...["--port", String(port), "--management-port", "0", "--redis-url", redis.url],
      ...["--signing-keys-dir", dir, "--registry-keys-dir", join(dir, "record-keys"), "--issuer", issuer],
    ];
    return {
      url: `http://127.0.0.1:${port}`,
      process: startProcess(process.execPath, [MAIN, ...args], join(dir, `${i}.log`)),
    };
  });
  for (const [i, server] of servers.entries())
    await waitFor(
      "the token server to listen",
      async () => {
        const text = await readFile(join(dir, `${i}.log`), "utf8").catch(() => "");
        if (server.process.child.exitCode !== null) throw new Error(`exited:\n${text}`);
        return /token server listening/.test(text) || undefined;
      },
      { timeoutMs: 30_000 },
    );
});
after(async () => {
  await Promise.all(servers.map((s) => s.process.stop()));
  await registry?.close().catch(() => {});
  await redis?.stop();
  if (redis) await removeRedisDir(redis);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes the record and waits until both processes serve it. */
async function register(record: ReturnType<typeof clientRecord>): Promise<void> {
  await registry.put(record);
  for (const { url } of servers)
    await waitFor(
      `${url} to know ${record.clientId}`,
      async () => {
        const res = await fetch(`${url}/oauth2/introspect`, {
          method: "POST",
          headers: {
            authorization: basic(record.clientId, record.secret),
            "content-type": "application/x-www-form-urlencoded",
          },
          body: "token=x",
        });
        return res.status === 200 || undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
}

test("password grant: 30 concurrent wrong guesses over two replicas, exactly 5 evaluated; then even the right password waits", async () => {
  const client = clientRecord({ grantTypes: ["password"], identityMapping: identityMapping({ users: USERS }) });
  await register(client);
  const guess = async (url: string, password: string) => {
    const res = await fetch(`${url}/oauth2/token`, {
      method: "POST",
      headers: {
        authorization: basic(client.clientId, client.secret),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "password", username: "ada", password }).toString(),
    });
    return { status: res.status, body: (await res.json()) as { error_description?: string } };
  };
  const answers = await Promise.all(
    Array.from({ length: BURST }, (_, i) => guess((servers[i % 2] as { url: string }).url, `guess-${i}`)),
  );
  const evaluated = answers.filter((a) => a.body.error_description === "the username or password is wrong");
  const refused = answers.filter((a) => /^too many failed sign-in attempts/.test(a.body.error_description ?? ""));
  assert.equal(evaluated.length, PASSWORD_THROTTLE.userLimit, JSON.stringify(answers.map((a) => a.body)));
  assert.equal(refused.length, BURST - PASSWORD_THROTTLE.userLimit);
  for (const { url } of servers) {
    const right = await guess(url, "ada-right-pw");
    assert.equal(right.status, 400);
    assert.match(right.body.error_description ?? "", /^too many failed sign-in attempts/);
  }
});

test("login page: 30 concurrent wrong passwords over two replicas, exactly 5 evaluated; then even the right one waits", async () => {
  const client = clientRecord({
    grantTypes: ["authorization_code"],
    redirectUris: ["https://app.example/callback"],
    identityMapping: identityMapping({ users: [...USERS, `eve:${bcrypt.hashSync("x", 4)}`] }),
  });
  await register(client);
  const agent = new UserAgent();
  const [first, second] = servers as unknown as [{ url: string }, { url: string }];
  const page = await agent.get(
    `${first.url}/oauth2/authorize?${new URLSearchParams({
      response_type: "code",
      client_id: client.clientId,
      redirect_uri: "https://app.example/callback",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    })}`,
  );
  assert.equal(page.status, 200, page.text);
  const fields = hiddenFields(page.text);
  const post = (url: string, password: string) =>
    agent.post(`${url}/oauth2/authorize/login`, { ...fields, username: "ada", password });
  const answers = await Promise.all(
    Array.from({ length: BURST }, (_, i) => post(i % 2 ? second.url : first.url, `guess-${i}`)),
  );
  const statuses = answers.map((a) => a.status);
  assert.equal(statuses.filter((s) => s === 401).length, PASSWORD_THROTTLE.userLimit, String(statuses));
  assert.equal(statuses.filter((s) => s === 429).length, BURST - PASSWORD_THROTTLE.userLimit, String(statuses));
  for (const { url } of servers) assert.equal((await post(url, "ada-right-pw")).status, 429);
});
