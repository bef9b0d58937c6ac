// The authorization code flow end to end in headless Chromium: a relying-party app
// using openid-client starts the flow with PKCE, the browser signs in and consents on
// the real pages, the app exchanges the code, calls a resource server that verifies
// the JWT against /oauth2/jwks, and refreshes. Once for a confidential client, once
// for a public one on a loopback redirect with a port it did not register (RFC 8252
// §7.3). The token server runs in-process on a real Redis, its clients written through
// the registry. Takes the screenshots in docs/images/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { oauthClient, type Stack, startStack } from "../fixtures.ts";
import {
  BrowserWorld,
  cspViolations,
  type Listening,
  resultOf,
  signInAndAllowWithKeyboard,
} from "./browser-support.ts";
import { codeClient, PASSWORD, USER } from "./support.ts";

// Screenshots go to test-results/ on every run; TOLLGATE_UPDATE_SCREENSHOTS=1 refreshes
// the ones the README shows, so a test run leaves the work tree clean.
const IMAGES = process.env.TOLLGATE_UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, "../../../docs/images")
  : join(import.meta.dirname, "../../../test-results");
mkdirSync(IMAGES, { recursive: true });

let stack: Stack;
let world: BrowserWorld;
let api: Listening;

before(async () => {
  stack = await startStack();
  world = await BrowserWorld.launch();
  api = await world.startResourceServer(stack);
});

after(async () => {
  await world?.close();
  await stack?.close();
});

test("confidential client: sign in, consent, code, API call, refresh; then silently with the session", async () => {
  const client = codeClient({ displayName: "Orders Dashboard" });
  const app = await world.startApp(api, async (appUrl) => {
    const redirectUri = `${appUrl}/callback`;
    await stack.put({ ...client, redirectUris: [redirectUri], updatedAt: Date.now() });
    return { config: await oauthClient(stack, client.clientId, oauth.ClientSecretBasic(client.secret)), redirectUri };
  });
  const page = await world.browser.newPage();
  const violations = cspViolations(page);
  await page.goto(`${app.url}/start`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(new URL(page.url()).origin, stack.url);
  assert.equal(await page.title(), "Sign in to Orders Dashboard · Tollgate");
  mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: join(IMAGES, "login.png") });

  // A wrong password first: the error is shown in the alert region, the username kept.
  await page.getByLabel("Username").fill(USER);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "The username or password is incorrect." }).waitFor();
  assert.equal(await page.getByLabel("Username").inputValue(), USER);

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Orders Dashboard wants to access your account" }).waitFor();
  assert.match((await page.locator(".permissions").textContent()) ?? "", /orders\.read/);
  await page.screenshot({ path: join(IMAGES, "consent.png") });
  await page.getByRole("button", { name: "Allow" }).click();

  const result = await resultOf(page);
  assert.equal(new URL(page.url()).origin, app.url);
  assert.equal(result.scope, "orders.read");
  assert.deepEqual(result.api, { orders: ["#1001", "#1002"], for: USER, scope: "orders.read" });
  assert.equal(result.refreshedApi.for, USER);
  assert.equal(result.refreshTokenRotated, true);

  // Signed in and consented: the next authorization goes straight back to the app.
  const visited: string[] = [];
  page.on("request", (request) => visited.push(request.url()));
  await page.goto(`${app.url}/start`);
  assert.equal((await resultOf(page)).api.for, USER);
  assert.ok(visited.some((url) => url.startsWith(`${stack.url}/oauth2/authorize?`)));
  assert.ok(!visited.some((url) => url.startsWith(`${stack.url}/oauth2/authorize/`)), visited.join("\n"));
  assert.deepEqual(violations, []);
  await page.close();
});

test("public client on a loopback redirect, any port: keyboard only, PKCE without a secret", async () => {
  const client = codeClient({
    displayName: "Orders CLI",
    clientType: "public",
    tokenEndpointAuthMethod: "none",
    secrets: [],
    redirectUris: ["http://127.0.0.1/callback"],
  });
  await stack.put(client);
  const app = await world.startApp(api, async (appUrl) => ({
    config: await oauthClient(stack, client.clientId, oauth.None()),
    redirectUri: `${appUrl}/callback`,
  }));
  const page = await world.browser.newPage();
  const violations = cspViolations(page);
  await page.goto(`${app.url}/start`);
  // Its own user directory: the earlier sign-in does not count here.
  await signInAndAllowWithKeyboard(page, "Orders CLI", USER, PASSWORD);
  const result = await resultOf(page);
  assert.equal(result.api.for, USER);
  assert.equal(result.refreshedApi.for, USER);
  assert.deepEqual(violations, []);
  await page.close();
});
