// The configuration loader's precedence and defaults, and the shared logger's redaction (common/logger.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../../common/logger.ts";
import { loadConfig as loadOperatorConfig } from "../../../operator/config.ts";
import { loadConfig, usage } from "../../../token-server/config.ts";

test("standalone defaults: loopback, port 8080, examples/, ES256", () => {
  const config = loadConfig(["--standalone"], {});
  assert.equal(config.standalone, true);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 8080);
  assert.equal(config.manifestsDir, "examples");
  assert.equal(config.signingAlg, "ES256");
  assert.equal(config.issuer, undefined);
  assert.equal(config.authFailureLimit, 10);
  assert.equal(config.authFailureWindowSeconds, 60);
  assert.equal(config.maxBodyBytes, 98304);
});

test("cluster mode needs signing-key and record-key directories and listens on all interfaces by default", () => {
  assert.throws(() => loadConfig([], {}), /--signing-keys-dir \(TOLLGATE_SIGNING_KEYS_DIR\) is required/);
  assert.throws(
    () => loadConfig([], { TOLLGATE_SIGNING_KEYS_DIR: "/keys" }),
    /--registry-keys-dir \(TOLLGATE_REGISTRY_KEYS_DIR\) is required/,
  );
  const config = loadConfig([], { TOLLGATE_SIGNING_KEYS_DIR: "/keys", TOLLGATE_REGISTRY_KEYS_DIR: "/record-keys" });
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.redisUrl, "redis://127.0.0.1:6379");
  assert.equal(config.signingKeysDir, "/keys");
  assert.equal(config.registryKeysDir, "/record-keys");
});

test("flags win over TOLLGATE_* variables, which win over defaults; bad values are refused", () => {
  const env = { TOLLGATE_PORT: "9000", TOLLGATE_ISSUER: "https://env.example", TOLLGATE_SIGNING_ALG: "EdDSA" };
  const config = loadConfig(["--standalone", "--port", "9100"], env);
  assert.equal(config.port, 9100);
  assert.equal(config.issuer, "https://env.example");
  assert.equal(config.signingAlg, "EdDSA");
  assert.throws(() => loadConfig(["--standalone", "--port=-1"], {}), /--port must be an integer >= 0/);
  assert.throws(() => loadConfig(["--standalone", "--signing-alg", "HS256"], {}), /not supported/);
  assert.throws(() => loadConfig(["--standalone", "--nope"], {}), /Unknown option/);
});

test("the logger writes one JSON object per line and redacts credentials by path, not names that merely look alike", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (line) => lines.push(line) }).child({ component: "test" });
  log.debug("hidden below the level");
  log.info("refused", {
    client_id: "orders",
    client_secret: "s3cret",
    access_token: "eyJ.x.y",
    client_assertion: "eyJ.a.b",
    authorization: "Basic abc",
    password: "hunter2",
    params: { code: "c0de-value", refresh_token: "tgrt_xyz" },
    secretName: "orders-oauth-client",
    tokenEndpoint: "https://auth.example.com/oauth2/token",
  });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]?.endsWith("\n"));
  const entry = JSON.parse(lines[0] as string);
  assert.equal(entry.level, "info");
  assert.equal(entry.msg, "refused");
  assert.equal(entry.component, "test");
  assert.equal(entry.client_id, "orders");
  for (const field of ["client_secret", "access_token", "client_assertion", "authorization", "password"])
    assert.equal(entry[field], "[redacted]", field);
  assert.deepEqual(entry.params, { code: "[redacted]", refresh_token: "[redacted]" });
  assert.equal(entry.secretName, "orders-oauth-client", "a Secret's name is not a secret");
  assert.equal(entry.tokenEndpoint, "https://auth.example.com/oauth2/token");
  for (const secret of ["s3cret", "eyJ", "Basic abc", "hunter2", "c0de-value", "tgrt_"])
    assert.ok(!(lines[0] as string).includes(secret), secret);
});

test("the logger serialises errors with their code, stack and causes", () => {
  const lines: string[] = [];
  const log = createLogger({ write: (line) => lines.push(line) });
  const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
  log.error("registry write failed", { error: new Error("registry unavailable", { cause }) });
  log.info("refused", { error: "invalid_client" });
  const [failed, refused] = lines.map((line) => JSON.parse(line));
  assert.equal(failed.level, "error");
  assert.equal(failed.error.type, "Error");
  assert.equal(failed.error.message, "registry unavailable");
  assert.match(failed.error.stack, /registry unavailable/);
  assert.deepEqual([failed.error.cause.message, failed.error.cause.code], [cause.message, "ECONNREFUSED"]);
  assert.equal(refused.error, "invalid_client", "an OAuth error code stays a string");
});

test("--help lists every flag with its variable and default, from the one option table", () => {
  const text = usage();
  const flags = [
    "standalone",
    "host",
    "port",
    "issuer",
    "redis-url",
    "signing-keys-dir",
    "signing-alg",
    "manifests",
    "log-level",
    "resync-interval",
    "keys-poll-interval",
    "max-body-bytes",
    "auth-failure-limit",
    "auth-failure-window",
    "users-file",
    "shutdown-timeout",
  ];
  for (const flag of flags) assert.match(text, new RegExp(`--${flag} `), flag);
  assert.match(text, /TOLLGATE_MANIFESTS_DIR/);
  assert.match(text, /--resync-interval\s+TOLLGATE_RESYNC_INTERVAL\s+.*\[30s\]/);
});

test("durations: the operator's syntax, or a bare number of seconds as before", () => {
  const cases: [string, number][] = [
    ["30", 30],
    ["30s", 30],
    ["10m", 600],
    ["1h30m", 5400],
  ];
  for (const [text, seconds] of cases) {
    assert.equal(loadConfig(["--standalone", "--resync-interval", text], {}).resyncIntervalSeconds, seconds, text);
    assert.equal(loadConfig(["--standalone"], { TOLLGATE_SHUTDOWN_TIMEOUT: text }).shutdownTimeoutSeconds, seconds);
  }
  // The operator reads the same syntax.
  assert.equal(loadOperatorConfig(["--resync-period", "10m"], {}).resyncPeriodMs, 600_000);
  assert.equal(loadConfig(["--standalone"], {}).authFailureWindowSeconds, 60);
  assert.throws(() => loadConfig(["--standalone", "--resync-interval", "soon"], {}), /--resync-interval/);
  assert.throws(() => loadConfig(["--standalone", "--resync-interval", "500ms"], {}), /whole number of seconds/);
});

test("workload identity: off unless --service-account-issuer; its settings from flags or TOLLGATE_SERVICE_ACCOUNT_*", () => {
  const off = loadConfig(["--standalone"], {});
  assert.equal(off.serviceAccountIssuer, undefined);
  const on = loadConfig(["--standalone", "--service-account-issuer", "https://kubernetes.default.svc.cluster.local"], {
    TOLLGATE_SERVICE_ACCOUNT_AUDIENCE: "https://tollgate.example",
    TOLLGATE_SERVICE_ACCOUNT_CA_FILE: "/ca.crt",
    TOLLGATE_SERVICE_ACCOUNT_TOKEN_FILE: "/token",
  });
  assert.equal(on.serviceAccountIssuer, "https://kubernetes.default.svc.cluster.local");
  assert.equal(on.serviceAccountAudience, "https://tollgate.example");
  assert.equal(on.serviceAccountCaFile, "/ca.crt");
  assert.equal(on.serviceAccountTokenFile, "/token");
  assert.throws(
    () => loadConfig(["--standalone", "--service-account-issuer", "http://10.0.0.1"], {}),
    /--service-account-issuer must be an https URL/,
  );
});
