// /.well-known/openid-configuration checked member by member against OpenID Connect
// Discovery 1.0 §3: what is REQUIRED and RECOMMENDED is there, and what it says is what
// the server does. Every algorithm it advertises signs the ID tokens (one server per
// signing algorithm, each checked by openid-client, which accepts only an advertised
// alg), the endpoints answer, the response types and modes not listed are refused, and
// subject identifiers are public (the same sub for two clients).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { SIGNING_ALGORITHMS } from "../../../registry/signing-key-format.ts";
import { signInAndAllow, USER, UserAgent } from "../authorization-code/support.ts";
import { oauthClient, type Stack, startStack } from "../fixtures.ts";
import { oidcClient, REDIRECT_URI } from "./support.ts";

let stack: Stack;
let document: Record<string, unknown>;
before(async () => {
  stack = await startStack();
  const answer = await fetch(`${stack.url}/.well-known/openid-configuration`);
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get("content-type") ?? "", /^application\/json/);
  document = (await answer.json()) as Record<string, unknown>;
});
after(async () => {
  await stack?.close();
});

async function signIn(on: Stack, client: ReturnType<typeof oidcClient>, scope = "openid profile email groups") {
  const config = await oauthClient(on, client.clientId, oauth.ClientSecretBasic(client.secret));
  const verifier = oauth.randomPKCECodeVerifier();
  const nonce = oauth.randomNonce();
  const url = oauth.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const callback = await signInAndAllow(new UserAgent(), on, url.href);
  const tokens = await oauth.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: oauth.skipStateCheck,
    idTokenExpected: true,
  });
  return { config, tokens };
}

test("REQUIRED members (Discovery §3) are present and point at this server", () => {
  assert.equal(document.issuer, stack.url);
  assert.equal(document.authorization_endpoint, `${stack.url}/oauth2/authorize`);
  assert.equal(document.token_endpoint, `${stack.url}/oauth2/token`);
  assert.equal(document.jwks_uri, `${stack.url}/oauth2/jwks`);
  assert.deepEqual(document.response_types_supported, ["code"]);
  assert.deepEqual(document.subject_types_supported, ["public"]);
  assert.deepEqual(document.id_token_signing_alg_values_supported, ["ES256"]);
});

test("RECOMMENDED and OPTIONAL members say what the server does", () => {
  assert.equal(document.userinfo_endpoint, `${stack.url}/oauth2/userinfo`);
  assert.equal(document.end_session_endpoint, `${stack.url}/oauth2/logout`);
  assert.deepEqual(document.scopes_supported, ["openid", "profile", "email", "phone", "groups"]);
  const claims = document.claims_supported as string[];
  for (const claim of [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "name",
    "email",
    "email_verified",
    "groups",
  ])
    assert.ok(claims.includes(claim), claim);
  assert.deepEqual(document.response_modes_supported, ["query"]);
  assert.deepEqual(document.grant_types_supported, [
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "password",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:saml2-bearer",
  ]);
  assert.deepEqual(document.claim_types_supported, ["normal"]);
  assert.equal(document.claims_parameter_supported, false);
  assert.equal(document.request_parameter_supported, false);
  assert.equal(document.request_uri_parameter_supported, false, "its default is true, so it must be said");
  assert.deepEqual(document.code_challenge_methods_supported, ["S256"]);
  assert.deepEqual(document.prompt_values_supported, ["none", "login", "consent"]);
  assert.equal(document.registration_endpoint, undefined, "clients are registered as OAuthClient resources");
});

test("every claim the server releases is listed in claims_supported; sub is public (the same for two clients)", async () => {
  const first = oidcClient();
  const second = oidcClient();
  await stack.put(first);
  await stack.put(second);
  const a = await signIn(stack, first);
  const b = await signIn(stack, second);
  const idClaims = a.tokens.claims() as Record<string, unknown>;
  const userinfo = await oauth.fetchUserInfo(a.config, a.tokens.access_token, USER);
  for (const claim of [...Object.keys(idClaims), ...Object.keys(userinfo)])
    assert.ok((document.claims_supported as string[]).includes(claim), claim);
  assert.equal(idClaims.sub, b.tokens.claims()?.sub);
  assert.equal(idClaims.iss, document.issuer, "iss is the discovery document's issuer (Discovery §4.3)");
});

test("the endpoints it names answer; response types and modes it does not list are refused", async () => {
  const userinfo = await fetch(document.userinfo_endpoint as string);
  assert.equal(userinfo.status, 401);
  assert.equal(userinfo.headers.get("www-authenticate"), 'Bearer realm="tollgate"');
  const endSession = await fetch(document.end_session_endpoint as string);
  assert.equal(endSession.status, 200);
  const client = oidcClient();
  await stack.put(client);
  const ask = async (extra: Record<string, string>) => {
    const url = new URL(document.authorization_endpoint as string);
    for (const [name, value] of Object.entries({
      client_id: client.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      scope: "openid",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      ...extra,
    }))
      url.searchParams.set(name, value);
    const answer = await new UserAgent().get(url.href);
    return new URL(answer.location as string).searchParams.get("error");
  };
  assert.equal(await ask({ response_type: "id_token" }), "unsupported_response_type");
  assert.equal(await ask({ response_type: "code id_token" }), "unsupported_response_type");
  assert.equal(await ask({ response_mode: "fragment" }), "invalid_request");
  assert.equal(await ask({ request_uri: "https://app.example/request.jwt" }), "request_uri_not_supported");
});

for (const alg of SIGNING_ALGORITHMS)
  test(`a server signing with ${alg} advertises ${alg} alone, and its ID tokens are ${alg} that openid-client accepts`, async () => {
    const own = await startStack({}, { alg });
    try {
      const metadata = (await (await fetch(`${own.url}/.well-known/openid-configuration`)).json()) as Record<
        string,
        unknown
      >;
      assert.deepEqual(metadata.id_token_signing_alg_values_supported, [alg]);
      const client = oidcClient({ skipConsent: true });
      await own.put(client);
      const { tokens } = await signIn(own, client, "openid");
      const header = JSON.parse(
        Buffer.from((tokens.id_token as string).split(".")[0] as string, "base64url").toString(),
      );
      assert.equal(header.alg, alg);
      assert.equal(header.typ, "JWT");
      assert.equal(tokens.claims()?.sub, USER);
    } finally {
      await own.close();
    }
  });
