// The registrar's flags: a flag over its TOLLGATE_REGISTRAR_* variable over the default;
// the endpoint and the key are required, and a bad value stops the start.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRegistrarConfig, usage } from "../../../registrar/config.ts";

const REQUIRED = ["--registration-endpoint", "https://auth.example.com/register/", "--key-file", "/k"];

test("defaults, and the endpoint without its trailing slash", () => {
  assert.deepEqual(loadRegistrarConfig(REQUIRED, {}), {
    kubeconfig: "",
    host: "0.0.0.0",
    port: 8090,
    registrationEndpoint: "https://auth.example.com/register",
    keyFile: "/k",
    readyTimeoutMs: 30_000,
    logLevel: "info",
  });
});

test("a flag wins over its environment variable, which wins over the default", () => {
  const env = {
    TOLLGATE_REGISTRAR_PORT: "9000",
    TOLLGATE_REGISTRAR_READY_TIMEOUT: "1m",
    TOLLGATE_REGISTRAR_LOG_LEVEL: "warn",
  };
  const config = loadRegistrarConfig([...REQUIRED, "--port", "9100"], env);
  assert.equal(config.port, 9100);
  assert.equal(config.readyTimeoutMs, 60_000);
  assert.equal(config.logLevel, "warn");
});

const REFUSED: [string, string[], RegExp][] = [
  ["no endpoint", ["--key-file", "/k"], /--registration-endpoint/],
  ["no key file", ["--registration-endpoint", "https://a/register"], /--key-file/],
  ["a bad port", [...REQUIRED, "--port", "99999"], /--port/],
  ["a bad timeout", [...REQUIRED, "--ready-timeout", "soon"], /duration/],
  ["an unknown flag", [...REQUIRED, "--issuer", "x"], /issuer/],
];
for (const [name, argv, message] of REFUSED)
  test(`refused: ${name}`, () => assert.throws(() => loadRegistrarConfig(argv, {}), message));

test("--help lists every flag", () => {
  for (const flag of ["kubeconfig", "registration-endpoint", "key-file", "ready-timeout", "port"])
    assert.match(usage(), new RegExp(`--${flag}`));
});
