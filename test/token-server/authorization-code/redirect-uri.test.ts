// Redirect URI validation (RFC 6749 §3.1.2.3, §4.1.2.1; RFC 9700 §2.1, §4.1; RFC 8252
// §7.3, §8.3): exact string match, the port of a loopback IP literal excepted; an
// invalid client or redirect URI gets an error page and never a redirect.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oauth from "openid-client";
import { matchRedirectUri } from "../../../token-server/authorize/redirect-uri.ts";
import { type Stack, startStack } from "../fixtures.ts";
import { authorizeUrl, codeClient, UserAgent } from "./support.ts";

describe("matchRedirectUri", () => {
  const registered = [
    "https://app.example/callback",
    "http://127.0.0.1/native",
    "http://[::1]:8080/native",
    "http://localhost:8080/cb",
    "com.example.app:/oauth2redirect",
  ];
  test("exact registered strings match, the loopback IP port is free, nothing else is", () => {
    assert.equal(matchRedirectUri(registered, "https://app.example/callback"), "https://app.example/callback");
    assert.equal(matchRedirectUri(registered, "http://127.0.0.1:51234/native"), "http://127.0.0.1/native");
    assert.equal(matchRedirectUri(registered, "http://[::1]:9/native"), "http://[::1]:8080/native");
    assert.equal(matchRedirectUri(registered, "com.example.app:/oauth2redirect"), "com.example.app:/oauth2redirect");
    for (const refused of [
      "http://localhost:9090/cb", // RFC 8252 §8.3: a name is not loopback, its port is fixed
      "http://127.0.0.1:51234/native/", // path differs
      "http://127.0.0.1:51234/native?x=1", // query added
      "http://127.0.0.1:51234/native#f", // fragment
      "http://user@127.0.0.1:51234/native", // userinfo
      "https://127.0.0.1:51234/native", // scheme
      "http://127.0.0.2:51234/native", // another loopback address is not registered
      "http://127.0.0.1:51234/%6Eative", // encoded form of the same path
      "http://127.1:51234/native", // shorthand IP, normalises to the same URL
      "com.example.app:/oauth2redirect/",
      "https://APP.example/callback",
    ])
      assert.equal(matchRedirectUri(registered, refused), undefined, refused);
  });
});

describe("the authorization endpoint with a bad client or redirect URI", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
  });

  async function request(clientId: string, redirectUri: string | undefined) {
    const challenge = await oauth.calculatePKCECodeChallenge(oauth.randomPKCECodeVerifier());
    const params: Record<string, string> = {
      response_type: "code",
      client_id: clientId,
      state: "s-123",
      code_challenge: challenge,
      code_challenge_method: "S256",
    };
    if (redirectUri !== undefined) params.redirect_uri = redirectUri;
    return new UserAgent().get(authorizeUrl(stack, params));
  }

  function assertErrorPage(answer: Awaited<ReturnType<typeof request>>, title: RegExp): void {
    assert.equal(answer.status, 400);
    assert.equal(answer.location, undefined, "must not redirect");
    assert.match(answer.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(answer.text, title);
    assert.doesNotMatch(answer.text, /https?:\/\/(evil|app)\.example/, "the page links nowhere");
    assert.equal(answer.headers.get("x-frame-options"), "DENY");
    assert.match(answer.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  }

  test("each redirect URI variant gets the error page and no redirect", async () => {
    const client = codeClient({
      redirectUris: ["https://app.example/callback", "https://app.example:8443/other"],
    });
    await stack.put(client);
    const variants = {
      "another host": "https://evil.example/callback",
      "another path": "https://app.example/callback/evil",
      "added query": "https://app.example/callback?next=https://evil.example",
      fragment: "https://app.example/callback#x",
      "different port, not loopback": "https://app.example:8444/other",
      "default port spelled out": "https://app.example:443/callback",
      userinfo: "https://user@app.example/callback",
      "userinfo hiding another host": "https://app.example@evil.example/callback",
      "another scheme": "http://app.example/callback",
      "not a URI": "callback",
    };
    for (const [name, uri] of Object.entries(variants)) {
      const answer = await request(client.clientId, uri);
      assertErrorPage(answer, /This sign-in link is not valid/);
      assert.match(answer.text, /redirect_uri is not one this application registered/, name);
    }
    // With two registered, the redirect URI must be named.
    assertErrorPage(await request(client.clientId, undefined), /redirect_uri is required/);
  });

  test("an unknown, disabled or missing client gets the error page", async () => {
    const disabled = codeClient({ disabled: true });
    await stack.put(disabled);
    for (const clientId of ["no-such-client", disabled.clientId]) {
      const answer = await request(clientId, "https://app.example/callback");
      assertErrorPage(answer, /This application is not recognised/);
      assert.match(answer.text, /<code>invalid_client<\/code>/);
    }
    assertErrorPage(await request("", "https://app.example/callback"), /client_id is missing/);
  });

  test("the loopback IP redirect of a native app accepts any port; localhost does not", async () => {
    const client = codeClient({
      clientType: "public",
      tokenEndpointAuthMethod: "none",
      secrets: [],
      redirectUris: ["http://127.0.0.1/callback", "http://localhost:8080/callback"],
    });
    await stack.put(client);
    for (const uri of [
      "http://127.0.0.1:61000/callback",
      "http://127.0.0.1/callback",
      "http://localhost:8080/callback",
    ]) {
      const answer = await request(client.clientId, uri);
      assert.equal(answer.status, 200, uri);
      assert.match(answer.text, /<h1 id="title">Sign in<\/h1>/);
    }
    assertErrorPage(await request(client.clientId, "http://localhost:8081/callback"), /not valid/);
  });

  test("with one registered redirect URI, omitting it uses that one", async () => {
    const client = codeClient();
    await stack.put(client);
    const answer = await request(client.clientId, undefined);
    assert.equal(answer.status, 200);
    assert.match(answer.text, /You will return to <span class="host">app\.example<\/span>/);
  });
});
