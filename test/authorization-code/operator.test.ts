// The authorization code flow as a team would set it up on a cluster: OAuthClient
// manifests applied to a real API server, the operator writing the registry and the
// credentials Secret, the user directory in a Secret of bcrypt htpasswd lines; then
// the same browser flow as browser.test.ts with the client ID and secret read from the
// Secret the operator wrote. Confidential and public.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { createClient as createRedisClient, type RedisClientType } from "redis";
import { createLogger } from "../../common/logger.ts";
import type { RunningOperator } from "../../operator/operator.ts";
import { RedisRegistry } from "../../registry/redis-registry.ts";
import { KeyRing } from "../../token-server/key-ring.ts";
import { type RunningTokenServer, startTokenServer } from "../../token-server/server.ts";
import { RedisTokenState } from "../../token-server/state/redis-state.ts";
import { waitFor } from "../harness/processes.ts";
import {
  createClient,
  createNamespace,
  getSecret,
  oauthClient,
  secretString,
  startTestOperator,
  startWorld,
  type World,
  waitForReady,
} from "../operator/support.ts";
import {
  AUDIENCE,
  BrowserWorld,
  cspViolations,
  type Listening,
  resultOf,
  signInAndAllowWithKeyboard,
} from "./browser-support.ts";
import { PASSWORD, USER, USERS } from "./support.ts";

let world: World;
let operator: RunningOperator;
let tokenServer: RunningTokenServer;
let state: RedisTokenState;
let reader: RedisRegistry;
let browser: BrowserWorld;
let api: Listening;

before(async () => {
  world = await startWorld();
  const readerClient: RedisClientType = createRedisClient({ url: world.redis.url });
  readerClient.on("error", () => {});
  await readerClient.connect();
  reader = new RedisRegistry(readerClient);
  state = RedisTokenState.start({ url: world.redis.url });
  await waitFor("token state to connect", async () => state.available || undefined);
  tokenServer = await startTokenServer({
    host: "127.0.0.1",
    port: 0,
    registry: reader,
    state,
    keys: await KeyRing.generated("ES256"),
    log: createLogger({ level: "error" }),
  });
  operator = await startTestOperator(world, { issuer: tokenServer.url });
  await operator.synced();
  browser = await BrowserWorld.launch();
  api = await browser.startResourceServer(tokenServer);
});

after(async () => {
  await browser?.close();
  await operator?.stop();
  await tokenServer?.close();
  await state?.close();
  await reader?.close().catch(() => {});
  await world?.stop();
});

/** Applies the manifest, waits for Ready and for the token server to know the client; returns its credentials. */
async function apply(namespace: string, name: string, spec: Parameters<typeof oauthClient>[2]) {
  await createClient(world, oauthClient(namespace, name, spec));
  const ready = await waitForReady(world, namespace, name);
  const clientId = ready.status?.clientId as string;
  await waitFor(`the token server to load ${clientId}`, async () => tokenServer.clients.get(clientId), {
    timeoutMs: 10_000,
    intervalMs: 20,
  });
  const secret = await getSecret(world, namespace, ready.status?.secretName as string);
  return {
    clientId,
    clientSecret: secretString(secret, "client_secret"),
    issuer: secretString(secret, "issuer") as string,
  };
}

async function usersSecret(namespace: string): Promise<void> {
  await world.kube.core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: "orders-users" }, stringData: { htpasswd: `${USERS.join("\n")}\n` } },
  });
}

for (const kind of ["confidential", "public"] as const) {
  test(`${kind} OAuthClient from a manifest: sign in, consent, code, API, refresh`, async () => {
    const namespace = await createNamespace(world, `code-${kind}`);
    await usersSecret(namespace);
    const app = await browser.startApp(api, async (appUrl) => {
      const spec = {
        displayName: `Orders ${kind}`,
        grantTypes: ["authorization_code" as const, "refresh_token" as const],
        // The public client registers the loopback URI without a port (RFC 8252 §7.3).
        redirectUris: [kind === "public" ? "http://127.0.0.1/callback" : `${appUrl}/callback`],
        scopes: ["orders.read"],
        audiences: [AUDIENCE],
        identityMapping: { userDirectorySecretRef: { name: "orders-users" } },
        ...(kind === "public" ? { clientType: "public" as const } : {}),
      };
      const credentials = await apply(namespace, "orders-web", spec);
      assert.equal(credentials.issuer, tokenServer.url);
      const auth = kind === "public" ? oauth.None() : oauth.ClientSecretBasic(credentials.clientSecret as string);
      if (kind === "public") assert.equal(credentials.clientSecret, undefined, "a public client has no secret");
      const config = await oauth.discovery(new URL(credentials.issuer), credentials.clientId, undefined, auth, {
        execute: [oauth.allowInsecureRequests],
      });
      return { config, redirectUri: `${appUrl}/callback` };
    });
    const page = await browser.browser.newPage();
    const violations = cspViolations(page);
    await page.goto(`${app.url}/start`);
    await signInAndAllowWithKeyboard(page, `Orders ${kind}`, USER, PASSWORD);
    const result = await resultOf(page);
    assert.equal(result.api.for, USER);
    assert.equal(result.refreshedApi.for, USER);
    assert.equal(result.refreshTokenRotated, true, "the default issuance is rotate");
    assert.deepEqual(violations, []);
    await page.close();
  });
}
