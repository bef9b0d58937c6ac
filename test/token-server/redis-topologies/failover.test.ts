// Failover, measured: a token server under steady load (client_credentials JWTs, refresh
// with a stored refresh token, introspection of opaque tokens) while the Redis primary is
// killed with SIGKILL: the Sentinel group's primary, and the Redis Cluster primary that
// owns the registry's slot (a third of the token state's keys with it). Prints, per request
// kind, the requests, the failures by status and the time from the kill until that kind
// succeeded without a failure again; then introspects every opaque token issued during the
// run to count what the asynchronous replication lost. Bounded: every kind recovers within
// RECOVERY_LIMIT_MS, every failure is a 503 (never a 500, never a wrong 401), and nothing
// written more than REPLICATION_WINDOW_MS before the kill is lost.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import { RecordKeyRing } from "../../../registry/record-keys.ts";
import { RedisRegistry } from "../../../registry/redis-registry.ts";
import type { RunningTokenServer } from "../../../token-server/server.ts";
import { rememberCredential } from "../../harness/log-capture.ts";
import { waitFor } from "../../harness/processes.ts";
import { startTopology } from "../../harness/redis.ts";
import { basic, clientRecord, identityMapping, post, startTokenServerOn } from "../fixtures.ts";
import { sleep, tokenRequest } from "../grants/support.ts";

const WARM_UP_MS = 2_000;
const AFTER_KILL_MS = 15_000;
const RECOVERY_LIMIT_MS = 12_000;
/** Asynchronous replication: a write acknowledged this long before the primary died may not have reached the replica. */
const REPLICATION_WINDOW_MS = 1_000;
const POOL = 24;

type Kind = "client_credentials (JWT)" | "refresh_token" | "introspection (opaque)";
interface Sample {
  kind: Kind;
  at: number;
  status: number;
  ok: boolean;
}

for (const topology of ["sentinel", "cluster"] as const) {
  describe(`failover on Redis ${topology}`, () => {
    const closers: (() => Promise<void>)[] = [];
    after(async () => {
      for (const close of closers.reverse()) await close().catch(() => {});
    });

    test("every request kind recovers after the primary is killed; only the replication window is lost", async () => {
      const redis = await startTopology(topology);
      closers.push(() => redis.stop());
      const replicated = redis.replicated;
      assert.ok(replicated);
      const recordKeys = await RecordKeyRing.generated();
      const registry = await RedisRegistry.connect(redis.url, recordKeys);
      closers.push(() => registry.close());
      await registry.markInitialised();
      const jwtClient = clientRecord();
      const opaqueClient = clientRecord({ accessToken: { lifetimeSeconds: 600, format: "opaque" } });
      const resourceServer = clientRecord({ grantTypes: [] });
      const users = [`alice:${bcrypt.hashSync(rememberCredential("alice-pw"), 4)}`];
      const refreshClient = clientRecord({
        grantTypes: ["password", "refresh_token"],
        identityMapping: identityMapping({ users }),
        refreshToken: { lifetimeSeconds: 3600, issuance: "reuse", forAssertionGrants: false },
      });
      for (const record of [jwtClient, opaqueClient, resourceServer, refreshClient]) await registry.put(record);
      const server: RunningTokenServer = await startTokenServerOn(redis.url, recordKeys);
      closers.push(() => server.close());
      await waitFor("the token server to load the clients", async () => server.clients.get(refreshClient.clientId));

      const issue = async (client: typeof jwtClient, form: Record<string, string>) =>
        tokenRequest(server.url, client, form);
      const opaque: { token: string; at: number }[] = [];
      const issueOpaque = async () => {
        const result = await issue(opaqueClient, { grant_type: "client_credentials" });
        if (result.status === 200) opaque.push({ token: result.body.access_token as string, at: Date.now() });
        return result;
      };
      const introspect = async (token: string) =>
        post(`${server.url}/oauth2/introspect`, `token=${encodeURIComponent(token)}`, {
          "content-type": "application/x-www-form-urlencoded",
          authorization: basic(resourceServer.clientId, resourceServer.secret),
        });
      // Pools spread over the cluster's slots, so the killed shard holds some of each.
      const refreshTokens: string[] = [];
      for (let i = 0; i < POOL; i++) {
        const signedIn = await issue(refreshClient, {
          grant_type: "password",
          username: "alice",
          password: "alice-pw",
        });
        assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
        refreshTokens.push(signedIn.body.refresh_token as string);
        assert.equal((await issueOpaque()).status, 200);
      }
      const introspected = opaque.map((o) => o.token);

      const samples: Sample[] = [];
      let running = true;
      const worker = async (kind: Kind, once: (i: number) => Promise<{ status: number; ok: boolean }>) => {
        for (let i = 0; running; i++) {
          const at = Date.now();
          const result = await once(i).catch(() => ({ status: 0, ok: false }));
          samples.push({ kind, at, ...result });
          await sleep(10);
        }
      };
      const workers = [
        worker("client_credentials (JWT)", async () => {
          const r = await issue(jwtClient, { grant_type: "client_credentials" });
          return { status: r.status, ok: r.status === 200 };
        }),
        worker("refresh_token", async (i) => {
          const r = await issue(refreshClient, {
            grant_type: "refresh_token",
            refresh_token: refreshTokens[i % POOL] as string,
          });
          return { status: r.status, ok: r.status === 200 };
        }),
        worker("introspection (opaque)", async (i) => {
          const r = await introspect(introspected[i % POOL] as string);
          return { status: r.status, ok: r.status === 200 && (r.body as { active?: boolean }).active === true };
        }),
        // Writes during the run, to count what the replication loses (not a reported kind).
        (async () => {
          while (running) {
            await issueOpaque().catch(() => {});
            await sleep(5);
          }
        })(),
      ];
      await sleep(WARM_UP_MS);
      const killedAt = Date.now();
      const failover = await replicated.killPrimary(registry.keyNames.clients);
      await sleep(Math.max(0, AFTER_KILL_MS - (Date.now() - killedAt)));
      running = false;
      await Promise.all(workers);

      const kinds: Kind[] = ["client_credentials (JWT)", "refresh_token", "introspection (opaque)"];
      const rows = kinds.map((kind) => {
        const mine = samples.filter((s) => s.kind === kind);
        const failed = mine.filter((s) => !s.ok);
        const byStatus: Record<string, number> = {};
        for (const s of failed) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
        const lastFailure = Math.max(killedAt, ...failed.map((s) => s.at));
        const recoveredMs = failed.length === 0 ? 0 : lastFailure - killedAt;
        return { kind, requests: mine.length, failed: failed.length, byStatus, recoveredMs };
      });

      // Every opaque token the server answered 200 for: still there after the failover?
      const lost: number[] = [];
      for (const { token, at } of opaque) {
        const r = await introspect(token);
        if (r.status === 200 && (r.body as { active?: boolean }).active !== true) lost.push(at - killedAt);
      }
      console.log(
        [
          `# failover on Redis ${topology}: primary :${failover.killedPort} killed, :${failover.promotedPort} promoted ${failover.failoverMs} ms later`,
          ...rows.map(
            (r) =>
              `#   ${r.kind.padEnd(26)} ${String(r.requests).padStart(5)} requests, ${String(r.failed).padStart(4)} failed ${JSON.stringify(r.byStatus)}, all succeed again ${r.recoveredMs} ms after the kill`,
          ),
          `#   opaque tokens issued: ${opaque.length}; lost after the failover: ${lost.length}${lost.length ? ` (issued ${Math.min(...lost)}..${Math.max(...lost)} ms relative to the kill)` : ""}`,
        ].join("\n"),
      );
      for (const row of rows) {
        assert.ok(row.recoveredMs <= RECOVERY_LIMIT_MS, `${row.kind} recovered after ${row.recoveredMs} ms`);
        for (const status of Object.keys(row.byStatus))
          assert.ok(status === "503" || status === "0", `${row.kind}: a failure answered ${status}, not 503`);
        assert.ok(row.requests - row.failed > 0);
      }
      assert.ok(
        lost.every((at) => at > -REPLICATION_WINDOW_MS),
        `tokens issued well before the kill were lost: ${lost.join(", ")} ms`,
      );
    });
  });
}
