// Which Redis topology a URL and mode select, and the settings both components' loaders
// accept or refuse at start (common/redis-connection.ts). Connecting is the integration
// tier's (test/token-server/redis-topologies/, on real Sentinel groups and Clusters).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRedisUrl, redact, redisSettings } from "../../../common/redis-connection.ts";
import { loadConfig as loadOperatorConfig } from "../../../operator/config.ts";
import { registryKeysFor } from "../../../registry/registry-keys.ts";
import { loadConfig } from "../../../token-server/config.ts";

const parsed: [string, string, string | undefined, ReturnType<typeof parseRedisUrl>][] = [
  [
    "plain URL: standalone",
    "redis://127.0.0.1:6379",
    undefined,
    { mode: "standalone", tls: false, nodes: [{ host: "127.0.0.1", port: 6379 }], path: "" },
  ],
  [
    "TLS, ACL user and an encoded password, database 2",
    "rediss://tollgate:p%40ss@redis.example:6380/2",
    undefined,
    {
      mode: "standalone",
      tls: true,
      username: "tollgate",
      password: "p@ss",
      nodes: [{ host: "redis.example", port: 6380 }],
      path: "2",
    },
  ],
  [
    "sentinels by scheme, the master group as the path",
    "redis+sentinel://s1:26379,s2:26379,s3:26379/primary",
    undefined,
    {
      mode: "sentinel",
      tls: false,
      nodes: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26379 },
        { host: "s3", port: 26379 },
      ],
      path: "primary",
    },
  ],
  [
    "cluster seeds by scheme, TLS",
    "rediss+cluster://user@c1:7000,c2:7001",
    undefined,
    {
      mode: "cluster",
      tls: true,
      username: "user",
      nodes: [
        { host: "c1", port: 7000 },
        { host: "c2", port: 7001 },
      ],
      path: "",
    },
  ],
  [
    "the mode overrides the scheme (a tool that only takes redis://)",
    "redis://c1:7000,c2:7001",
    "cluster",
    {
      mode: "cluster",
      tls: false,
      nodes: [
        { host: "c1", port: 7000 },
        { host: "c2", port: 7001 },
      ],
      path: "",
    },
  ],
  [
    "IPv6 literal, default port",
    "redis://[::1]",
    undefined,
    { mode: "standalone", tls: false, nodes: [{ host: "::1", port: 6379 }], path: "" },
  ],
];

for (const [name, url, mode, expected] of parsed)
  test(`parseRedisUrl: ${name}`, () => {
    assert.deepEqual(parseRedisUrl(url, mode as never), expected);
  });

const refused: [string, () => unknown, RegExp][] = [
  ["not a Redis URL", () => parseRedisUrl("http://x:1"), /is not redis\[s\]/],
  ["several hosts without a mode", () => parseRedisUrl("redis://a:1,b:2"), /set the mode to sentinel or cluster/],
  ["a bad port", () => parseRedisUrl("redis://a:99999"), /is not host:port/],
  ["an unknown mode", () => redisSettings({ url: "redis://a:1", mode: "ring" }), /--redis-mode: "ring"/],
  ["a prefix with a brace", () => redisSettings({ url: "redis://a:1", keyPrefix: "t{x}:" }), /must not contain braces/],
];

for (const [name, run, message] of refused)
  test(`refused at start: ${name}`, () => {
    assert.throws(run, message);
  });

test("the password never reaches a message", () => {
  assert.equal(redact("redis://user:secret@h:1"), "redis://user:***@h:1");
  assert.throws(
    () => parseRedisUrl("redis://user:secret@a:1,b:2"),
    (error: Error) => !error.message.includes("secret"),
  );
});

test("both loaders take mode, CA file and key prefix from flags and TOLLGATE_* variables", () => {
  const env = {
    TOLLGATE_SIGNING_KEYS_DIR: "/keys",
    TOLLGATE_REGISTRY_KEYS_DIR: "/record-keys",
    TOLLGATE_REDIS_URL: "rediss://c1:7000,c2:7000",
    TOLLGATE_REDIS_MODE: "cluster",
    TOLLGATE_REDIS_CA_FILE: "/ca/ca.crt",
  };
  const tokenServer = loadConfig(["--redis-key-prefix", "team-a:"], env);
  assert.deepEqual(tokenServer.redis, {
    url: "rediss://c1:7000,c2:7000",
    mode: "cluster",
    caFile: "/ca/ca.crt",
    keyPrefix: "team-a:",
  });
  const operator = loadOperatorConfig(["--redis-key-prefix", "team-a:"], env);
  assert.equal(operator.redisMode, "cluster");
  assert.equal(operator.redisCaFile, "/ca/ca.crt");
  assert.equal(operator.redisKeyPrefix, "team-a:");
  assert.equal(
    loadConfig([], { ...env, TOLLGATE_REDIS_MODE: "", TOLLGATE_REDIS_URL: "redis://h:1" }).redis.keyPrefix,
    "tollgate:",
  );
  assert.throws(() => loadConfig([], { ...env, TOLLGATE_REDIS_MODE: "" }), /set the mode to sentinel or cluster/);
});

test("every registry key and the change channel share one hash tag (one Cluster slot), under the prefix", () => {
  const names = Object.values(registryKeysFor("team-a:"));
  assert.ok(
    names.every((name) => name.startsWith("team-a:registry:{v1}:")),
    names.join(" "),
  );
});
