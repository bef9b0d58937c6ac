// The token server's own metrics as Prometheus scrapes them from the management port:
// per-client requests with a bounded client_id label, lockouts, registry sync, Redis
// up, and the signing key in use.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitFor } from "../harness/processes.ts";
import { basic, clientRecord, post, type Stack, startStack } from "./fixtures.ts";

let stack: Stack;
const FORM = { "content-type": "application/x-www-form-urlencoded" };

before(async () => {
  stack = await startStack({ authFailureLimit: 2, authFailureWindowSeconds: 60 }, { metricsClientLimit: 2 });
});
after(() => stack.close());

async function scrape(): Promise<string> {
  const response = await fetch(`${stack.managementUrl}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** The value of one series, or undefined when it is absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const token = (client: { clientId: string }, secret: string) =>
  post(`${stack.url}/oauth2/token`, "grant_type=client_credentials", {
    ...FORM,
    authorization: basic(client.clientId, secret),
  });

test("requests by client: registered IDs up to the limit, then other; never a raw request value", async () => {
  const [a, b, c] = [clientRecord(), clientRecord(), clientRecord()];
  for (const client of [a, b, c]) await stack.put(client);
  assert.equal((await token(a, a.secret)).status, 200);
  assert.equal((await token(a, a.secret)).status, 200);
  assert.equal((await token(b, b.secret)).status, 200);
  assert.equal((await token(c, c.secret)).status, 200);
  assert.equal((await token({ clientId: 'made-up-"}id' }, "x")).status, 401);
  const text = await scrape();
  const series = (id: string, outcome = "ok") =>
    `tollgate_token_server_client_requests_total{client_id="${id}",endpoint="token",outcome="${outcome}"}`;
  assert.equal(value(text, series(a.clientId)), 2);
  assert.equal(value(text, series(b.clientId)), 1);
  assert.equal(value(text, series(c.clientId)), undefined, "past the limit of 2");
  assert.equal(value(text, series("other")), 1);
  assert.equal(value(text, series("unauthenticated", "invalid_client")), 1);
  assert.doesNotMatch(text, /made-up/);

  // A client that leaves the registry loses its series and frees its place.
  await stack.registry.delete(b.clientId, Math.floor(Date.now() / 1000));
  await waitFor(
    "the server to drop the client",
    async () => stack.running.clients.get(b.clientId) === undefined || undefined,
  );
  assert.equal(value(await scrape(), series(b.clientId)), undefined);
  assert.equal((await token(c, c.secret)).status, 200);
  assert.equal(value(await scrape(), series(c.clientId)), 1);
});

test("a client locked out by failed authentications is counted once per lockout", async () => {
  const client = clientRecord();
  await stack.put(client);
  for (let i = 0; i < 4; i++) assert.equal((await token(client, "wrong")).status, 401);
  const text = await scrape();
  // The limit of 2 client IDs is taken by the first test; lockouts share the bounded label.
  const total = [...text.matchAll(/^tollgate_token_server_client_lockouts_total\{client_id="([^"]+)"\} (\d+)$/gm)];
  assert.deepEqual(
    total.map((m) => [m[1], Number(m[2])]),
    [["other", 1]],
  );
});

test("registry sync, Redis connections and the signing key in use", async () => {
  const text = await scrape();
  const synced = value(text, "tollgate_token_server_registry_last_sync_timestamp_seconds");
  assert.ok(synced !== undefined && Math.abs(Date.now() / 1000 - synced) < 60, `last sync ${synced}`);
  assert.equal(value(text, 'tollgate_token_server_redis_up{connection="registry"}'), 1);
  assert.equal(value(text, 'tollgate_token_server_redis_up{connection="token_state"}'), 1);
  const kid = stack.keys.current?.kid;
  const loaded = value(text, `tollgate_token_server_signing_key_loaded_timestamp_seconds{kid="${kid}"}`);
  assert.ok(loaded !== undefined && loaded <= Date.now() / 1000, `loaded ${loaded}`);

  await stack.redis.stop();
  await waitFor("redis_up to drop", async () => {
    const now = await scrape();
    return (
      (value(now, 'tollgate_token_server_redis_up{connection="registry"}') === 0 &&
        value(now, 'tollgate_token_server_redis_up{connection="token_state"}') === 0) ||
      undefined
    );
  });
  await stack.redis.restart();
});
