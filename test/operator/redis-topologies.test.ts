// Both components on a replicated Redis: an operator (real kube-apiserver) and a token
// server pointed at a Sentinel group and at a Redis Cluster by URL alone. An OAuthClient
// becomes Ready, its record lands in the registry, and the token server issues a token
// with the Secret's credentials. Then the registry is lost (FLUSHALL on the primary that
// holds its slot): the operator rebuilds it and a token server started after the loss
// serves the client again.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { createClient as createRedisClient } from "redis";
import { rememberCredential } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { startTopology } from "../harness/redis.ts";
import { basic, post, startTokenServerOn } from "../token-server/fixtures.ts";
import {
  CLIENT_CREDENTIALS,
  createClient,
  createNamespace,
  getClient,
  getSecret,
  oauthClient,
  secretString,
  startTestOperator,
  startWorld,
  waitForReady,
} from "./support.ts";

const SERVED_WITHIN_MS = 10_000;

for (const topology of ["sentinel", "cluster"] as const) {
  describe(`operator and token server on Redis ${topology}`, () => {
    const closers: (() => Promise<void>)[] = [];
    after(async () => {
      for (const close of closers.reverse()) await close().catch(() => {});
    });

    test("a client becomes Ready and gets tokens; after the registry is lost it is served again", async () => {
      const world = await startWorld();
      closers.push(() => world.stop());
      const redis = await startTopology(topology);
      closers.push(() => redis.stop());
      const operator = await startTestOperator(world, { redisUrl: redis.url, registryCheckPeriodMs: 1000 });
      closers.push(() => operator.stop());
      await operator.synced();

      const ns = await createNamespace(world, `ha-${topology}`);
      await createClient(world, oauthClient(ns, "app", CLIENT_CREDENTIALS));
      await waitForReady(world, ns, "app");
      const id = (await getClient(world, ns, "app"))?.status?.clientId ?? "";
      const secret = rememberCredential(
        secretString(await getSecret(world, ns, "app-oauth-client"), "client_secret") ?? "",
      );
      const token = async (server: { url: string }) =>
        (
          await post(`${server.url}/oauth2/token`, "grant_type=client_credentials", {
            "content-type": "application/x-www-form-urlencoded",
            authorization: basic(id, secret),
          })
        ).status;

      const first = await startTokenServerOn(redis.url, world.recordKeys);
      closers.push(() => first.close());
      await waitFor("the token server to serve the client", async () => (await token(first)) === 200 || undefined, {
        timeoutMs: SERVED_WITHIN_MS,
      });

      // The registry's primary loses everything (a FLUSHALL; an unpersisted restart looks the same).
      const replicated = redis.replicated;
      assert.ok(replicated);
      const primary = createRedisClient({ url: await replicated.primaryUrl("tollgate:registry:{v1}:clients") });
      primary.on("error", () => {});
      await primary.connect();
      await primary.flushAll();
      await primary.close();
      const lostAt = Date.now();
      const late = await startTokenServerOn(redis.url, world.recordKeys);
      closers.push(() => late.close());
      await waitFor(
        "a token server started after the loss to serve the client",
        async () => (await token(late)) === 200 || undefined,
        {
          timeoutMs: SERVED_WITHIN_MS,
          intervalMs: 100,
        },
      );
      console.log(
        `# ${topology}: registry lost, the client served by a new token server ${Date.now() - lostAt} ms later`,
      );
      assert.equal(await token(first), 200, "the running token server still serves it");
    });
  });
}
