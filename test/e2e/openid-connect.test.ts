// Sign in with OpenID Connect as a team would set it up on a cluster, in headless
// Chromium: an OAuthClient manifest with the openid scopes and postLogoutRedirectUris,
// its users Secret carrying htpasswd and users.yaml, the operator compiling both into
// the registry. A relying-party web app written with openid-client's OIDC mode signs
// the user in on the real pages (nonce, ID token checked on its side), reads userinfo,
// and signs out through the end_session_endpoint with its ID token as hint; the session
// is gone afterwards. Editing users.yaml in the Secret changes what userinfo says.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { mergePatch } from "../../operator/kube.ts";
import { condition, createNamespace, waitForClient } from "../operator/support.ts";
import { BrowserWorld, cspViolations, type Listening } from "../token-server/authorization-code/browser-support.ts";
import { PASSWORD, USER, USERS } from "../token-server/authorization-code/support.ts";
import { type OperatorStack, startOperatorStack } from "./stack.ts";

let stack: OperatorStack;
let browser: BrowserWorld;

before(async () => {
  stack = await startOperatorStack();
  browser = await BrowserWorld.launch();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

interface SignedIn {
  idToken: Record<string, unknown>;
  userinfo: Record<string, unknown>;
}

/** The relying party: /start, /callback (code, ID token, userinfo), /logout, /signed-out. */
async function relyingParty(): Promise<{ app: Listening; configure(config: oauth.Configuration): void }> {
  let config: oauth.Configuration | undefined;
  const flows = new Map<string, { verifier: string; nonce: string }>();
  let idToken: string | undefined;
  const app = await browser.listen(async (req, res) => {
    const url = new URL(req.url ?? "/", app.url);
    const rp = config as oauth.Configuration;
    if (url.pathname === "/start") {
      const verifier = oauth.randomPKCECodeVerifier();
      const nonce = oauth.randomNonce();
      const state = oauth.randomState();
      flows.set(state, { verifier, nonce });
      const target = oauth.buildAuthorizationUrl(rp, {
        redirect_uri: `${app.url}/callback`,
        scope: "openid profile email groups",
        state,
        nonce,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
      });
      res.writeHead(302, { location: target.href }).end();
    } else if (url.pathname === "/callback") {
      const state = url.searchParams.get("state") ?? "";
      const flow = flows.get(state);
      if (!flow) throw new Error("unknown state");
      flows.delete(state);
      const tokens = await oauth.authorizationCodeGrant(rp, url, {
        pkceCodeVerifier: flow.verifier,
        expectedState: state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims() as oauth.IDToken;
      idToken = tokens.id_token;
      const userinfo = await oauth.fetchUserInfo(rp, tokens.access_token, claims.sub);
      const result: SignedIn = { idToken: { ...claims }, userinfo: { ...userinfo } };
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(
        `<!doctype html><title>Wiki</title><pre id="result">${JSON.stringify(result)}</pre><a href="/logout">Sign out</a>`,
      );
    } else if (url.pathname === "/logout") {
      const target = oauth.buildEndSessionUrl(rp, {
        id_token_hint: idToken as string,
        post_logout_redirect_uri: `${app.url}/signed-out`,
        state: "bye-42",
      });
      res.writeHead(302, { location: target.href }).end();
    } else if (url.pathname === "/signed-out") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><title>Bye</title><p id="signed-out">state=${url.searchParams.get("state")}</p>`);
    } else res.writeHead(404).end();
  });
  return { app, configure: (c) => (config = c) };
}

test("OAuthClient + users Secret with claims: sign in, ID token, userinfo, sign out; edited claims follow", async () => {
  const namespace = await createNamespace(stack.world, "oidc");
  const claims = (name: string) =>
    `${USER}:\n  name: ${name}\n  email: ada@example.com\n  email_verified: true\n  groups: [engineering]\n`;
  await stack.world.kube.core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: "wiki-users" },
      stringData: { htpasswd: `${USERS.join("\n")}\n`, "users.yaml": claims("Ada Lovelace") },
    },
  });
  const { app, configure } = await relyingParty();
  const applied = await stack.apply(namespace, "wiki", {
    displayName: "Team Wiki",
    grantTypes: ["authorization_code"],
    redirectUris: [`${app.url}/callback`],
    postLogoutRedirectUris: [`${app.url}/signed-out`],
    scopes: ["openid", "profile", "email", "groups"],
    identityMapping: { userDirectorySecretRef: { name: "wiki-users" } },
  });
  configure(
    await oauth.discovery(
      new URL(stack.issuer),
      applied.clientId,
      undefined,
      oauth.ClientSecretBasic(applied.clientSecret as string),
      {
        execute: [oauth.allowInsecureRequests],
      },
    ),
  );

  const page = await browser.browser.newPage();
  const violations = cspViolations(page);
  const signIn = async (): Promise<SignedIn> => {
    await page.goto(`${app.url}/start`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Username").fill(USER);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    const consent = page.getByRole("button", { name: "Allow" });
    const result = page.locator("#result");
    await Promise.race([consent.waitFor(), result.waitFor()]);
    if (await consent.isVisible()) await consent.click();
    await result.waitFor();
    return JSON.parse((await result.textContent()) as string) as SignedIn;
  };

  const first = await signIn();
  assert.equal(first.idToken.sub, USER);
  assert.equal(first.idToken.iss, stack.issuer);
  assert.equal(first.idToken.aud, applied.clientId);
  assert.equal(typeof first.idToken.auth_time, "number");
  assert.deepEqual(first.userinfo, {
    sub: USER,
    name: "Ada Lovelace",
    email: "ada@example.com",
    email_verified: true,
    groups: ["engineering"],
  });

  // Sign out through the end_session_endpoint: back at the app with its state.
  await page.getByRole("link", { name: "Sign out" }).click();
  await page.locator("#signed-out").waitFor();
  assert.equal(await page.locator("#signed-out").textContent(), "state=bye-42");
  // The session is gone: the next sign-in asks for the password again.
  await page.goto(`${app.url}/start`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();

  // The platform team edits the users Secret; the operator recompiles the record.
  await stack.world.kube.core.patchNamespacedSecret(
    { namespace, name: "wiki-users", body: { stringData: { "users.yaml": claims("Ada King") } } },
    mergePatch,
  );
  await stack.followed(
    applied.clientId,
    "the new name",
    (record) => record?.identityMapping?.userClaims?.[USER]?.name === "Ada King",
  );
  const second = await signIn();
  assert.equal(second.userinfo.name, "Ada King");
  assert.deepEqual(violations, []);
  await page.close();

  // A mistake in users.yaml: the OAuthClient says which user and claim, and the token
  // server keeps serving the last good record.
  await stack.world.kube.core.patchNamespacedSecret(
    { namespace, name: "wiki-users", body: { stringData: { "users.yaml": `${USER}:\n  email_verified: "yes"\n` } } },
    mergePatch,
  );
  const refused = await waitForClient(
    stack.world,
    namespace,
    "wiki",
    "the bad claims reported",
    (r) => condition(r, "RegistryReady")?.reason === "InvalidReferencedSecret",
  );
  assert.match(
    condition(refused, "RegistryReady")?.message ?? "",
    /^spec\.identityMapping\.userDirectorySecretRef\.claimsKey: key "users\.yaml": user "ada", claim "email_verified" must be true or false; the registry keeps the last good record/,
  );
  assert.equal(stack.tokenServer.clients.get(applied.clientId)?.identityMapping?.userClaims?.[USER]?.name, "Ada King");
});
