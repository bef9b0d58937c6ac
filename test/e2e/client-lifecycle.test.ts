// Issue 4 end to end on the real API server: an OAuthClient applied, the operator's
// Secret read, a token fetched with openid-client, and every registry change a person
// makes through the resource (rotate, disable, revoke-before, delete) seen by the
// token server: old tokens introspect inactive and new requests fail with the right
// OAuth error.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import { ROTATE_ANNOTATION } from "../../api/v1alpha1/oauthclient.ts";
import type { RunningTokenServer } from "../../token-server/server.ts";
import { waitFor } from "../harness/processes.ts";
import {
  CLIENT_CREDENTIALS,
  createNamespace,
  deleteClient,
  getSecret,
  patchClient,
  secretString,
  type World,
  waitForRecord,
} from "../operator/support.ts";
import { oauthErrorOf } from "../token-server/fixtures.ts";
import { type OperatorStack, startOperatorStack } from "./stack.ts";

let stack: OperatorStack;
let world: World;
let tokenServer: RunningTokenServer;
let issuer: string;
let introspector: oauth.Configuration;

const discover = (clientId: string, secret: string) =>
  oauth.discovery(new URL(issuer), clientId, undefined, oauth.ClientSecretBasic(secret), {
    execute: [oauth.allowInsecureRequests],
  });

/** Applies a client, waits for Ready, and returns its credentials from the Secret the operator wrote. */
async function applyClient(namespace: string, name: string, spec = CLIENT_CREDENTIALS) {
  const { clientId, secret } = await stack.apply(namespace, name, spec);
  assert.equal(secretString(secret, "client_id"), clientId);
  const clientSecret = secretString(secret, "client_secret") ?? "";
  assert.equal(secretString(secret, "token_endpoint"), `${issuer}/oauth2/token`);
  assert.equal(secretString(secret, "issuer"), issuer);
  assert.ok(tokenServer.clients.get(clientId), `the token server knows ${clientId}`);
  return { clientId, clientSecret };
}

before(async () => {
  stack = await startOperatorStack();
  ({ world, tokenServer, issuer } = stack);
  const ns = await createNamespace(world, "resource-server");
  const rs = await applyClient(ns, "resource-server", { grantTypes: ["client_credentials"], subject: "svc-rs" });
  introspector = await discover(rs.clientId, rs.clientSecret);
});

after(async () => {
  await stack?.close();
});

const active = async (token: string) => (await oauth.tokenIntrospection(introspector, token)).active;

test("apply → Secret → token → introspection active, with the registered service identity", async () => {
  const ns = await createNamespace(world, "apply");
  const { clientId, clientSecret } = await applyClient(ns, "orders");
  const config = await discover(clientId, clientSecret);
  const { access_token } = await oauth.clientCredentialsGrant(config);
  const introspection = await oauth.tokenIntrospection(introspector, access_token);
  assert.equal(introspection.active, true);
  assert.equal(introspection.sub, "svc-test");
  assert.equal(introspection.client_id, clientId);
  assert.equal(introspection.scope, "orders:read");
});

test("rotation: the old secret works inside the grace window and fails after it", async () => {
  const ns = await createNamespace(world, "rotate");
  const spec = { ...CLIENT_CREDENTIALS, credentials: { rotation: { every: "720h", gracePeriod: "6s" } } };
  const { clientId, clientSecret: oldSecret } = await applyClient(ns, "rotating", spec);
  await patchClient(world, ns, "rotating", { metadata: { annotations: { [ROTATE_ANNOTATION]: "first" } } });
  const record = await waitForRecord(world, clientId, "two secrets", (r) => (r?.secrets.length ?? 0) === 2);
  const graceEnds = record?.secrets[1]?.expiresAt ?? 0;
  await waitFor(
    "the token server to see the rotation",
    async () => tokenServer.clients.get(clientId)?.secrets.length === 2 || undefined,
  );
  const newSecret = secretString(await getSecret(world, ns, "rotating-oauth-client"), "client_secret") ?? "";
  assert.notEqual(newSecret, oldSecret);
  assert.ok(Date.now() < graceEnds, "still inside the grace window");
  await oauth.clientCredentialsGrant(await discover(clientId, oldSecret));
  await oauth.clientCredentialsGrant(await discover(clientId, newSecret));
  await new Promise((r) => setTimeout(r, Math.max(0, graceEnds - Date.now()) + 200));
  const refused = await oauthErrorOf(
    await oauth.clientCredentialsGrant(await discover(clientId, oldSecret)).catch((e) => e),
  );
  assert.equal(refused.status, 401);
  assert.equal(refused.error, "invalid_client");
  await oauth.clientCredentialsGrant(await discover(clientId, newSecret));
});

test("disabled: tokens introspect inactive and new requests get invalid_client", async () => {
  const ns = await createNamespace(world, "disable");
  const { clientId, clientSecret } = await applyClient(ns, "disabled");
  const config = await discover(clientId, clientSecret);
  const { access_token } = await oauth.clientCredentialsGrant(config);
  assert.equal(await active(access_token), true);
  await patchClient(world, ns, "disabled", { spec: { disabled: true } });
  await waitFor(
    "the token server to see the client disabled",
    async () => tokenServer.clients.get(clientId)?.disabled || undefined,
  );
  assert.equal(await active(access_token), false);
  const refused = await oauthErrorOf(await oauth.clientCredentialsGrant(config).catch((e) => e));
  assert.equal(refused.error, "invalid_client");
});

test("revokeTokensIssuedBefore kills earlier tokens, later ones work", async () => {
  const ns = await createNamespace(world, "revoke-before");
  const { clientId, clientSecret } = await applyClient(ns, "revoker");
  const config = await discover(clientId, clientSecret);
  const { access_token: early } = await oauth.clientCredentialsGrant(config);
  await new Promise((r) => setTimeout(r, 1100));
  const cutoff = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 1100));
  await patchClient(world, ns, "revoker", { spec: { revokeTokensIssuedBefore: cutoff } });
  await waitFor(
    "the token server to see the cutoff",
    async () => tokenServer.clients.get(clientId)?.revokeTokensIssuedBefore || undefined,
  );
  assert.equal(await active(early), false);
  const { access_token: late } = await oauth.clientCredentialsGrant(config);
  assert.equal(await active(late), true);
});

test("delete: the registry entry goes, tokens introspect inactive, requests get invalid_client", async () => {
  const ns = await createNamespace(world, "delete");
  const { clientId, clientSecret } = await applyClient(ns, "doomed");
  const config = await discover(clientId, clientSecret);
  const { access_token } = await oauth.clientCredentialsGrant(config);
  await deleteClient(world, ns, "doomed");
  await waitForRecord(world, clientId, "gone", (r) => r === undefined);
  await waitFor(
    "the token server to forget the client",
    async () => tokenServer.clients.get(clientId) === undefined || undefined,
  );
  assert.equal(await active(access_token), false);
  const refused = await oauthErrorOf(await oauth.clientCredentialsGrant(config).catch((e) => e));
  assert.equal(refused.status, 401);
  assert.equal(refused.error, "invalid_client");
});
