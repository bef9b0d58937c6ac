// The embedded default (no cluster, no Redis): the repository's password example,
// compiled by the standalone loader, served with the in-memory token state. The demo
// user signs in, refreshes (rotation), and a replay of the rotated-out token revokes
// the family, all on MemoryTokenState.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KeyRing } from "../../../token-server/key-ring.ts";
import { type RunningTokenServer, startTokenServer } from "../../../token-server/server.ts";
import { loadManifests, type StandaloneClient } from "../../../token-server/standalone.ts";
import { MemoryTokenState } from "../../../token-server/state/memory-state.ts";
import { rememberCredential, testLogger } from "../../harness/log-capture.ts";
import { tokenRequest } from "../grants/support.ts";

let running: RunningTokenServer;
let state: MemoryTokenState;
let cli: StandaloneClient;

before(async () => {
  const log = testLogger("password-example", { level: "error" });
  const { registry, clients } = await loadManifests("examples", log);
  cli = clients.find((c) => c.record.clientId === "reports-cli.default") as StandaloneClient;
  assert.ok(cli, "examples/password.yaml compiles in standalone mode");
  state = new MemoryTokenState();
  running = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    registry,
    state,
    keys: await KeyRing.generated("ES256"),
    log,
  });
});
after(async () => {
  await running?.close();
  await state?.close();
});

test("the password example's demo user signs in and refreshes; reuse revokes the family", async () => {
  const client = { clientId: cli.record.clientId, secret: cli.secret as string };
  const signIn = await tokenRequest(running.url, client, {
    grant_type: "password",
    username: "dave",
    password: rememberCredential("open sesame 42"),
    scope: "reports:read",
  });
  assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
  const first = signIn.body.refresh_token as string;
  const second = await tokenRequest(running.url, client, { grant_type: "refresh_token", refresh_token: first });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  const replay = await tokenRequest(running.url, client, { grant_type: "refresh_token", refresh_token: first });
  assert.equal(replay.status, 400);
  const after = await tokenRequest(running.url, client, {
    grant_type: "refresh_token",
    refresh_token: second.body.refresh_token as string,
  });
  assert.equal(after.body.error, "invalid_grant");
});
