// Declarative revocation cannot be undone by accident: once spec.revokeTokensIssuedBefore
// has killed tokens, lowering it (a `git revert`) or removing it (a GitOps self-heal to
// an older manifest) brings none back. The operator keeps the latest value on the
// credentials Secret, ignores the earlier one and says so in the TokenRevocation
// condition. Real API server, operator and token server; tokens checked by introspection.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as oauth from "openid-client";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { SecretAnnotation } from "../../operator/reconcile/credentials-secret.ts";
import { waitFor } from "../harness/processes.ts";
import {
  CLIENT_CREDENTIALS,
  condition,
  createNamespace,
  getSecret,
  patchClient,
  waitForClient,
} from "../operator/support.ts";
import { type OperatorStack, startOperatorStack } from "./stack.ts";

let stack: OperatorStack;
let introspector: oauth.Configuration;

const discover = (clientId: string, secret: string) =>
  oauth.discovery(new URL(stack.issuer), clientId, undefined, oauth.ClientSecretBasic(secret), {
    execute: [oauth.allowInsecureRequests],
  });
const active = async (token: string) => (await oauth.tokenIntrospection(introspector, token)).active;

before(async () => {
  stack = await startOperatorStack();
  const ns = await createNamespace(stack.world, "resource-server");
  const rs = await stack.apply(ns, "resource-server", { grantTypes: ["client_credentials"], subject: "svc-rs" });
  introspector = await discover(rs.clientId, rs.clientSecret as string);
});

after(async () => {
  await stack?.close();
});

/** Waits until the operator has handled this generation, and returns the resource. */
function handled(ns: string, generation: number, what: string): Promise<OAuthClient> {
  return waitForClient(stack.world, ns, "revoker", what, (r) => {
    const revocation = condition(r, "TokenRevocation");
    return (r.status?.observedGeneration ?? 0) >= generation && revocation?.observedGeneration === generation;
  });
}

test("revoke, then lower or remove revokeTokensIssuedBefore: old tokens stay dead, the condition says why", async () => {
  const ns = await createNamespace(stack.world, "revoke-forward");
  const { clientId, clientSecret } = await stack.apply(ns, "revoker", CLIENT_CREDENTIALS);
  const config = await discover(clientId, clientSecret as string);
  const { access_token: early } = await oauth.clientCredentialsGrant(config);
  assert.equal(await active(early), true);

  // A cutoff a second ahead kills the token just issued without waiting for the clock.
  const cutoff = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString();
  const revoked = await patchClient(stack.world, ns, "revoker", { spec: { revokeTokensIssuedBefore: cutoff } });
  const applied = await handled(ns, revoked.metadata.generation as number, "revocation applied");
  assert.equal(condition(applied, "TokenRevocation")?.status, "True");
  await stack.followed(clientId, "cutoff", (r) => r?.revokeTokensIssuedBefore === Date.parse(cutoff) / 1000);
  assert.equal(await active(early), false);

  const lowered = await patchClient(stack.world, ns, "revoker", {
    spec: { revokeTokensIssuedBefore: "2000-01-01T00:00:00Z" },
  });
  const afterRevert = await handled(ns, lowered.metadata.generation as number, "earlier value handled");
  const ignored = condition(afterRevert, "TokenRevocation");
  assert.equal(ignored?.status, "False");
  assert.equal(ignored?.reason, "EarlierValueIgnored");
  assert.match(
    ignored?.message ?? "",
    /2000-01-01T00:00:00.000Z\) is earlier than a value applied before; it is ignored/,
  );
  assert.match(ignored?.message ?? "", new RegExp(`tokens issued before ${cutoff.replace(".000Z", "")}`));
  assert.equal(condition(afterRevert, "Ready")?.status, "True", "the client itself keeps working");
  assert.equal(stack.tokenServer.clients.get(clientId)?.revokeTokensIssuedBefore, Date.parse(cutoff) / 1000);
  assert.equal(await active(early), false, "a lowered value brings no token back");

  const removed = await patchClient(stack.world, ns, "revoker", { spec: { revokeTokensIssuedBefore: null } });
  const afterRemoval = await handled(ns, removed.metadata.generation as number, "removal handled");
  assert.match(condition(afterRemoval, "TokenRevocation")?.message ?? "", /was removed; it is ignored/);
  assert.equal(await active(early), false, "a removed value brings no token back");
  const secret = await getSecret(stack.world, ns, afterRemoval.status?.secretName as string);
  assert.equal(
    secret?.metadata?.annotations?.[SecretAnnotation.revokeTokensIssuedBefore],
    new Date(cutoff).toISOString(),
  );

  // Tokens issued after the cutoff still work: the revocation stays where it was, no further.
  await waitFor("the cutoff to pass", async () => Date.now() > Date.parse(cutoff) + 1000 || undefined);
  const { access_token: late } = await oauth.clientCredentialsGrant(config);
  assert.equal(await active(late), true);
});
