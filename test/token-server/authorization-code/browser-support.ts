// The parts of the browser tests: headless Chromium (Debian's, through playwright-core),
// a resource server that verifies bearer JWTs against the token server's JWKS with
// fast-jwt (neither this project's code nor jose), and a relying-party web app written
// the way an application team would, with openid-client.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as oauth from "openid-client";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { verifyIndependently } from "../fixtures.ts";

export const AUDIENCE = "https://orders.example";

export interface Listening {
  url: string;
  server: Server;
}

/** Servers and a browser on loopback, closed together. */
export class BrowserWorld {
  readonly browser: BrowserContext;
  readonly #profile: string;
  readonly #servers: Server[] = [];

  private constructor(browser: BrowserContext, profile: string) {
    this.browser = browser;
    this.#profile = profile;
  }

  static async launch(): Promise<BrowserWorld> {
    const profile = mkdtempSync(join(tmpdir(), "tollgate-chromium-"));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      viewport: { width: 1040, height: 760 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    return new BrowserWorld(browser, profile);
  }

  async listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<Listening> {
    const server = createServer((req, res) => {
      handler(req, res).catch((error: Error) => {
        res.writeHead(500, { "content-type": "text/plain" }).end(error.stack);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#servers.push(server);
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
  }

  /** The protected API: 200 with the caller's orders for a valid bearer JWT of `issuer`, else 401. */
  async startResourceServer(issuer: { url: string }): Promise<Listening> {
    return this.listen(async (req, res) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      try {
        if (!token) throw new Error("no token");
        const claims = await verifyIndependently(issuer, token, AUDIENCE);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ orders: ["#1001", "#1002"], for: claims.sub, scope: claims.scope }));
      } catch {
        res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end();
      }
    });
  }

  /**
   * A relying-party web app on 127.0.0.1: /start begins the flow with PKCE and state,
   * /callback exchanges the code (openid-client checks state and RFC 9207 `iss`),
   * calls the API, refreshes, calls it again, and shows what happened as JSON.
   */
  async startApp(
    api: Listening,
    setup: (appUrl: string) => Promise<{ config: oauth.Configuration; redirectUri: string }>,
  ): Promise<Listening> {
    const flows = new Map<string, string>();
    let configured: { config: oauth.Configuration; redirectUri: string } | undefined;
    const app = await this.listen(async (req, res) => {
      const { config, redirectUri } = configured as NonNullable<typeof configured>;
      const url = new URL(req.url ?? "/", redirectUri);
      if (url.pathname === "/start") {
        const verifier = oauth.randomPKCECodeVerifier();
        const state = oauth.randomState();
        flows.set(state, verifier);
        const target = oauth.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: "orders.read",
          resource: AUDIENCE,
          state,
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: "S256",
        });
        res.writeHead(302, { location: target.href }).end();
        return;
      }
      if (url.pathname !== "/callback") {
        res.writeHead(404).end();
        return;
      }
      const state = url.searchParams.get("state") ?? "";
      const verifier = flows.get(state);
      flows.delete(state);
      if (!verifier) throw new Error("unknown state");
      const tokens = await oauth.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const call = async (token: string) => {
        const response = await oauth.fetchProtectedResource(config, token, new URL(`${api.url}/api/orders`), "GET");
        assert.equal(response.status, 200);
        return (await response.json()) as AppResult["api"];
      };
      const apiAnswer = await call(tokens.access_token);
      const refreshed = await oauth.refreshTokenGrant(config, tokens.refresh_token as string);
      const result: AppResult = {
        scope: tokens.scope ?? "",
        api: apiAnswer,
        refreshedApi: await call(refreshed.access_token),
        refreshTokenRotated: refreshed.refresh_token !== undefined && refreshed.refresh_token !== tokens.refresh_token,
      };
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><title>Orders</title><pre id="result">${JSON.stringify(result)}</pre>`);
    });
    configured = await setup(app.url);
    return app;
  }

  async close(): Promise<void> {
    await this.browser.close();
    for (const server of this.#servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    rmSync(this.#profile, { recursive: true, force: true });
  }
}

export interface AppResult {
  scope: string;
  api: { orders: string[]; for: string; scope?: string };
  refreshedApi: { orders: string[]; for: string; scope?: string };
  refreshTokenRotated: boolean;
}

export async function resultOf(page: Page): Promise<AppResult> {
  await page.locator("#result").waitFor();
  return JSON.parse((await page.locator("#result").textContent()) as string) as AppResult;
}

/** Content-Security-Policy violations the page reports (a blocked stylesheet or form target shows here). */
export function cspViolations(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text()))
      errors.push(message.text());
  });
  return errors;
}

/** Signs in and allows with the keyboard only: autofocus, Tab, Enter; checks the focus is visible. */
export async function signInAndAllowWithKeyboard(page: Page, clientName: string, user: string, password: string) {
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await page.locator(":focus").getAttribute("id"), "username");
  await page.keyboard.type(user);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: `${clientName} wants to access your account` }).waitFor();
  // Tab order: "Use another account", Deny, Allow.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  // Evaluated in the page (this file is type-checked without the DOM library).
  const focused = await page.evaluate(
    "({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle })",
  );
  assert.deepEqual(focused, { text: "Allow", outline: "solid" }, "Allow is reachable and its focus is visible");
  await page.keyboard.press("Enter");
}
