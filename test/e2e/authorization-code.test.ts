// The authorization code flow as a team would set it up on a cluster: OAuthClient
// manifests applied to a real API server, the operator writing the registry and the
// credentials Secret, the user directory in a Secret of bcrypt htpasswd lines; then
// the same browser flow as browser.test.ts with the client ID and secret read from the
// Secret the operator wrote. Confidential and public.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { createNamespace, secretString } from "../operator/support.ts";
import {
  AUDIENCE,
  BrowserWorld,
  cspViolations,
  type Listening,
  resultOf,
  signInAndAllowWithKeyboard,
} from "../token-server/authorization-code/browser-support.ts";
import { PASSWORD, USER, USERS } from "../token-server/authorization-code/support.ts";
import { type OperatorStack, startOperatorStack } from "./stack.ts";

let stack: OperatorStack;
let browser: BrowserWorld;
let api: Listening;

before(async () => {
  stack = await startOperatorStack();
  browser = await BrowserWorld.launch();
  api = await browser.startResourceServer(stack.tokenServer);
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

async function usersSecret(namespace: string): Promise<void> {
  await stack.world.kube.core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: "orders-users" }, stringData: { htpasswd: `${USERS.join("\n")}\n` } },
  });
}

for (const kind of ["confidential", "public"] as const) {
  test(`${kind} OAuthClient from a manifest: sign in, consent, code, API, refresh`, async () => {
    const namespace = await createNamespace(stack.world, `code-${kind}`);
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
      const applied = await stack.apply(namespace, "orders-web", spec);
      const credentials = { ...applied, issuer: secretString(applied.secret, "issuer") as string };
      assert.equal(credentials.issuer, stack.tokenServer.url);
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
