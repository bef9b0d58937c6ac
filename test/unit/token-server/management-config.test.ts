// The management listener's settings (config.ts): its own port, by default 9090 on the
// token server's host, never the public port.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig, usage } from "../../../token-server/config.ts";

test("management port and host: defaults, variables, flags", () => {
  const standalone = loadConfig(["--standalone"], {});
  assert.equal(standalone.managementPort, 9090);
  assert.equal(standalone.managementHost, "127.0.0.1", "as --host");
  assert.equal(standalone.metricsClientLimit, 500);
  const cluster = loadConfig([], {
    TOLLGATE_SIGNING_KEYS_DIR: "/keys",
    TOLLGATE_REGISTRY_KEYS_DIR: "/record-keys",
    TOLLGATE_MANAGEMENT_PORT: "9191",
  });
  assert.equal(cluster.managementPort, 9191);
  assert.equal(cluster.managementHost, "0.0.0.0");
  const flags = loadConfig(
    ["--standalone", "--management-port", "0", "--management-host", "::1", "--metrics-client-limit", "3"],
    { TOLLGATE_MANAGEMENT_PORT: "9191" },
  );
  assert.equal(flags.managementPort, 0);
  assert.equal(flags.managementHost, "::1");
  assert.equal(flags.metricsClientLimit, 3);
  assert.match(usage(), /--management-port\s+TOLLGATE_MANAGEMENT_PORT/);
});

test("the management port may not be the public port", () => {
  assert.throws(() => loadConfig(["--standalone", "--port", "9090"], {}), /--management-port must differ from --port/);
  assert.throws(() => loadConfig(["--standalone", "--management-port=-1"], {}), /--management-port must be an integer/);
  // Both 0: two free ports, never the same.
  assert.equal(loadConfig(["--standalone", "--port", "0", "--management-port", "0"], {}).managementPort, 0);
});

test("https: --tls-cert-file and --tls-key-file, or their variables, go together", () => {
  const plain = loadConfig(["--standalone"], {});
  assert.equal(plain.tlsCertFile, undefined);
  assert.equal(plain.tlsKeyFile, undefined);
  const flags = loadConfig(["--standalone", "--tls-cert-file", "/tls/tls.crt", "--tls-key-file", "/tls/tls.key"], {});
  assert.deepEqual([flags.tlsCertFile, flags.tlsKeyFile], ["/tls/tls.crt", "/tls/tls.key"]);
  const env = loadConfig(["--standalone"], { TOLLGATE_TLS_CERT_FILE: "/c", TOLLGATE_TLS_KEY_FILE: "/k" });
  assert.deepEqual([env.tlsCertFile, env.tlsKeyFile], ["/c", "/k"]);
  assert.throws(() => loadConfig(["--standalone", "--tls-cert-file", "/c"], {}), /go together/);
  assert.throws(() => loadConfig(["--standalone"], { TOLLGATE_TLS_KEY_FILE: "/k" }), /go together/);
  assert.match(usage(), /--tls-cert-file\s+TOLLGATE_TLS_CERT_FILE/);
});
