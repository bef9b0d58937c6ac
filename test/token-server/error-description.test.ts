// RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E only (no `"`, no `\`).
// Descriptions that would carry a quote (resolveScope's, a missing parameter's) reach
// the wire without one, from the token endpoint and from introspection and revocation.
// The authorization endpoint's redirects are checked in authorization-request.test.ts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InvalidScope, wireDescription } from "../../token-server/errors.ts";
import { basic, clientRecord, post, type Stack, startStack } from "./fixtures.ts";

const ALLOWED = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;
const FORM = { "content-type": "application/x-www-form-urlencoded" };

let stack: Stack;
let client: ReturnType<typeof clientRecord>;

before(async () => {
  stack = await startStack();
  client = clientRecord();
  await stack.put(client);
});
after(async () => {
  await stack?.close();
});

/** The raw response text: a JSON-escaped `\"` or `\\` would mean the description carried one. */
async function refusal(path: string, body: string) {
  const response = await post(`${stack.url}${path}`, body, {
    ...FORM,
    authorization: basic(client.clientId, client.secret),
  });
  assert.equal(response.status, 400, response.text);
  assert.ok(!response.text.includes('\\"') && !response.text.includes("\\\\"), response.text);
  const description = (response.body as { error_description: string }).error_description;
  assert.match(description, ALLOWED);
  return description;
}

test("wireDescription keeps only what RFC 6749 §5.2 allows", () => {
  assert.equal(wireDescription('scope "admin" \\ §3.3 – é'), "scope 'admin' / section 3.3  ");
  assert.equal(
    new InvalidScope('this client may not request scope "admin"').description,
    "this client may not request scope 'admin'",
  );
  for (let code = 0; code < 0x250; code++) assert.match(wireDescription(`a${String.fromCharCode(code)}b`), ALLOWED);
});

test("token endpoint: resolveScope's quoted scope comes out without a double quote", async () => {
  const description = await refusal("/oauth2/token", "grant_type=client_credentials&scope=admin");
  assert.equal(description, "this client may not request scope 'admin'");
  const section = await refusal("/oauth2/token", "grant_type=client_credentials&scope=orders.read++");
  assert.equal(section, "scope must be space-delimited scope tokens (RFC 6749 section 3.3)");
});

test("introspection and revocation: a missing parameter's quoted name comes out without a double quote", async () => {
  for (const path of ["/oauth2/introspect", "/oauth2/revoke"])
    assert.equal(await refusal(path, "token_type_hint=access_token"), "the 'token' parameter is required");
});
