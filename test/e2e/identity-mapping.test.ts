// End to end through the operator on the real API server: an OAuthClient whose
// identity mapping names Secrets (the user directory, the IdP's certificates); the
// operator compiles them into the registry; a token server reading that registry serves
// the password and SAML bearer grants. Changing a Secret changes the next grant.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import bcrypt from "bcryptjs";
import { rememberCredential } from "../harness/log-capture.ts";
import { createNamespace } from "../operator/support.ts";
import {
  assertionXml,
  encode,
  makeSigner,
  removeSamlWorkDir,
  signWithXmlsec,
} from "../token-server/grants/saml-support.ts";
import { tokenRequest } from "../token-server/grants/support.ts";
import { type OperatorStack, startOperatorStack } from "./stack.ts";

const SAML_GRANT = "urn:ietf:params:oauth:grant-type:saml2-bearer";
const IDP = "https://idp.example/saml";

let stack: OperatorStack;

before(async () => {
  stack = await startOperatorStack();
});
after(async () => {
  await stack?.close();
  removeSamlWorkDir();
});

function htpasswd(user: string, password: string): string {
  return `${user}:${bcrypt.hashSync(rememberCredential(password), 4).replace(/^\$2b\$/, "$2y$")}\n`;
}

test("the user directory and the IdP certificates come from Secrets; changing them changes the next grant", async () => {
  const { world, tokenServer } = stack;
  const ns = await createNamespace(world, "idmap");
  const oldIdp = makeSigner("idp-2025");
  const newIdp = makeSigner("idp-2026");
  await world.kube.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "portal-users" }, stringData: { htpasswd: htpasswd("alice", "first-password") } },
  });
  await world.kube.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "idp-signing" }, stringData: { "ca.crt": oldIdp.certificate } },
  });
  const portal = await stack.apply(ns, "portal", {
    grantTypes: ["password", SAML_GRANT],
    scopes: ["profile"],
    identityMapping: {
      userDirectorySecretRef: { name: "portal-users" },
      samlIdps: [{ entityId: IDP, certificatesSecretRef: { name: "idp-signing" } }],
    },
  });
  assert.equal(portal.secret?.metadata?.name, "portal-oauth-client");
  const client = { clientId: portal.clientId, secret: portal.clientSecret as string };
  const signIn = (password: string) =>
    tokenRequest(tokenServer.url, client, { grant_type: "password", username: "alice", password });
  const samlGrant = (signer: ReturnType<typeof makeSigner>) => {
    const { tokenEndpoint } = tokenServer.server.settings;
    const xml = signWithXmlsec(
      assertionXml({ issuer: IDP, recipient: tokenEndpoint, audience: tokenEndpoint, nameId: "bob@example.com" }),
      signer,
    );
    return tokenRequest(tokenServer.url, client, { grant_type: SAML_GRANT, assertion: encode(xml) });
  };

  assert.equal((await signIn("first-password")).status, 200);
  const saml = await samlGrant(oldIdp);
  assert.equal(saml.status, 200, JSON.stringify(saml.body));

  // The team changes alice's password in the Secret.
  const firstUsers = (await world.registry.get(client.clientId))?.identityMapping?.users;
  await world.kube.core.replaceNamespacedSecret({
    namespace: ns,
    name: "portal-users",
    body: { metadata: { name: "portal-users" }, stringData: { htpasswd: htpasswd("alice", "second-password") } },
  });
  await stack.followed(
    client.clientId,
    "the new user directory",
    (r) => JSON.stringify(r?.identityMapping?.users) !== JSON.stringify(firstUsers),
  );
  assert.equal((await signIn("first-password")).body.error_description, "the username or password is wrong");
  assert.equal((await signIn("second-password")).status, 200);

  // The IdP rotates its signing certificate; the platform team updates the Secret.
  await world.kube.core.replaceNamespacedSecret({
    namespace: ns,
    name: "idp-signing",
    body: { metadata: { name: "idp-signing" }, stringData: { "ca.crt": newIdp.certificate } },
  });
  await stack.followed(
    client.clientId,
    "the new IdP certificate",
    (r) => r?.identityMapping?.samlIdps[0]?.certificates[0] === newIdp.certificate.trim(),
  );
  const stale = await samlGrant(oldIdp);
  assert.equal(stale.status, 400);
  assert.equal(
    stale.body.error_description,
    "the assertion's signature does not verify with the identity provider's registered certificates",
  );
  const fresh = await samlGrant(newIdp);
  assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
});
