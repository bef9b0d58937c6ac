// RFC 6749 §4.3 password grant against bcrypt htpasswd directories: the client's own
// (identity mapping `users`) and the server-wide --users-file. Wrong password and
// unknown user must not be told apart by answer or by time; failures are throttled.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import bcrypt from "bcryptjs";
import type { GrantType } from "../../../api/v1alpha1/oauthclient.ts";
import type { CompiledIdentityMapping } from "../../../registry/record.ts";
import { loadConfig } from "../../../token-server/config.ts";
import { PASSWORD_THROTTLE } from "../../../token-server/users/password-throttle.ts";
import { rememberCredential } from "../../harness/log-capture.ts";
import { clientRecord, identityMapping, type Stack, startStack, verifyIndependently } from "../fixtures.ts";
import { tokenRequest } from "./support.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-users-"));
const usersFile = join(dir, "htpasswd");
let stack: Stack;

/** An htpasswd line as `htpasswd -B` writes it ($2y$). */
function line(user: string, password: string, cost = 4): string {
  return `${user}:${bcrypt.hashSync(rememberCredential(password), cost).replace(/^\$2b\$/, "$2y$")}`;
}

before(async () => {
  writeFileSync(usersFile, `# server-wide users\n${line("dora", "dora-pw-1")}\n`);
  // The tests' requests come through loopback as if through a proxy, naming their source.
  stack = await startStack({ usersFile, trustedProxies: ["127.0.0.1/32"] });
});
after(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

function mapping(users: string[]): CompiledIdentityMapping {
  return identityMapping({ users });
}

async function client(users: string[] | undefined, grantTypes: GrantType[] = ["password", "refresh_token"]) {
  const record = clientRecord({
    grantTypes,
    ...(users ? { identityMapping: mapping(users) } : {}),
  });
  await stack.put(record);
  return record;
}

function passwordGrant(
  record: { clientId: string; secret: string },
  username: string,
  password: string,
  source = "192.0.2.1",
) {
  return tokenRequest(stack.url, record, { grant_type: "password", username, password }, undefined, {
    "x-forwarded-for": source,
  });
}

test("right credentials: a token for the user (sub = username), and a refresh token", async () => {
  const record = await client([line("alice", "correct horse"), line("bob", "battery staple")]);
  const result = await passwordGrant(record, "alice", "correct horse");
  assert.equal(result.status, 200, JSON.stringify(result.body));
  assert.equal(result.headers.get("cache-control"), "no-store");
  assert.match(String(result.body.refresh_token), /^tgrt_[A-Za-z0-9_-]{43}$/);
  const claims = await verifyIndependently(stack, result.body.access_token as string, "https://orders.example");
  assert.equal(claims.sub, "alice");
  assert.equal(claims.client_id, record.clientId);
  assert.equal(claims.scope, "orders.read");
});

test("no refresh token unless the client has the refresh_token grant", async () => {
  const record = await client([line("alice", "pw")], ["password"]);
  const result = await passwordGrant(record, "alice", "pw");
  assert.equal(result.status, 200);
  assert.equal(result.body.refresh_token, undefined);
});

test("wrong password and unknown user get the very same answer", async () => {
  const record = await client([line("alice", "correct horse")]);
  const wrong = await passwordGrant(record, "alice", "wrong");
  const unknown = await passwordGrant(record, "nobody", "wrong");
  for (const result of [wrong, unknown]) {
    assert.equal(result.status, 400);
    assert.deepEqual(result.body, { error: "invalid_grant", error_description: "the username or password is wrong" });
    assert.equal(result.headers.get("retry-after"), null);
  }
  const missing = await tokenRequest(stack.url, record, { grant_type: "password", username: "alice" });
  assert.deepEqual(missing.body, {
    error: "invalid_request",
    error_description: "the 'password' parameter is required",
  });
});

test("the server-wide users file serves clients without a directory, and follows its changes", async () => {
  const record = await client(undefined);
  assert.equal((await passwordGrant(record, "dora", "dora-pw-1")).status, 200);
  writeFileSync(usersFile, `${line("dora", "dora-pw-2")}\n`);
  const old = await passwordGrant(record, "dora", "dora-pw-1");
  assert.equal(old.body.error_description, "the username or password is wrong");
  assert.equal((await passwordGrant(record, "dora", "dora-pw-2")).status, 200);
});

test("--users-file and TOLLGATE_USERS_FILE configure the server-wide directory", () => {
  assert.equal(
    loadConfig(["--standalone", "--users-file", "/etc/tollgate/htpasswd"], {}).usersFile,
    "/etc/tollgate/htpasswd",
  );
  assert.equal(loadConfig(["--standalone"], { TOLLGATE_USERS_FILE: "/run/users" }).usersFile, "/run/users");
  assert.equal(loadConfig(["--standalone"], {}).usersFile, undefined);
});

test("per-user throttling: after the limit even the right password is refused, other users are not", async () => {
  const record = await client([line("bob", "bob-pw"), line("carol", "carol-pw")]);
  for (let i = 0; i < PASSWORD_THROTTLE.userLimit; i++)
    assert.equal(
      (await passwordGrant(record, "bob", `guess-${i}`)).body.error_description,
      "the username or password is wrong",
    );
  const locked = await passwordGrant(record, "bob", "bob-pw");
  assert.equal(locked.status, 400);
  assert.equal(locked.body.error, "invalid_grant");
  assert.match(String(locked.body.error_description), /^too many failed sign-in attempts; retry after \d+ seconds$/);
  assert.ok(Number(locked.headers.get("retry-after")) > 0);
  // An unknown username is throttled the same way, so the lock tells nobody who exists.
  for (let i = 0; i < PASSWORD_THROTTLE.userLimit; i++) await passwordGrant(record, "mallory", `guess-${i}`);
  assert.match(String((await passwordGrant(record, "mallory", "x")).body.error_description), /^too many failed/);
  assert.equal((await passwordGrant(record, "carol", "carol-pw")).status, 200);
});

test("a spray of made-up usernames locks out its source, not the client's users", async () => {
  const record = await client([line("erin", "erin-pw")]);
  const sprayer = "198.51.100.7";
  const spray = Array.from({ length: PASSWORD_THROTTLE.sourceLimit + 10 }, () =>
    passwordGrant(record, `user-${randomUUID()}`, "Winter2026!", sprayer),
  );
  for (const result of await Promise.all(spray)) assert.equal(result.status, 400);
  const locked = await passwordGrant(record, "erin", "erin-pw", sprayer);
  assert.match(String(locked.body.error_description), /^too many failed sign-in attempts/);
  // The real user, from anywhere else, signs in.
  assert.equal((await passwordGrant(record, "erin", "erin-pw", "203.0.113.20")).status, 200);
});

test("X-Forwarded-For from a peer that is not a trusted proxy is ignored: naming new sources evades nothing", async () => {
  const own = await startStack({ usersFile });
  try {
    const record = clientRecord({ grantTypes: ["password"], identityMapping: mapping([line("fay", "fay-pw")]) });
    await own.put(record);
    const guess = (username: string, source: string) =>
      tokenRequest(own.url, record, { grant_type: "password", username, password: "x" }, undefined, {
        "x-forwarded-for": source,
      });
    for (let i = 0; i < PASSWORD_THROTTLE.sourceLimit; i++) await guess(`user-${i}`, `10.1.${i}.1`);
    const locked = await guess("fay", "10.200.0.1");
    assert.match(String(locked.body.error_description), /^too many failed sign-in attempts/);
  } finally {
    await own.close();
  }
});

test("clients sharing a directory share its per-user limit (guesses do not multiply with clients)", async () => {
  const shared = [line("gus", "gus-pw")];
  const [a, b] = [await client(shared), await client(shared)];
  for (let i = 0; i < PASSWORD_THROTTLE.userLimit; i++)
    await passwordGrant(i % 2 ? a : b, "gus", `guess-${i}`, `192.0.2.${10 + i}`);
  for (const record of [a, b])
    assert.match(
      String((await passwordGrant(record, "gus", "gus-pw", "192.0.2.99")).body.error_description),
      /^too many failed sign-in attempts/,
    );
});

// Unknown user and wrong password costing one bcrypt comparison each is counted in
// test/unit/token-server/password-cost.test.ts (wall time belongs to benchmarks).
