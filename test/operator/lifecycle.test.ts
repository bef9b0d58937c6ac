// The life of an OAuthClient under a running operator, on a real API server and a real
// Redis: apply, edit, delete; adoption; a client-ID conflict; bad referenced input.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { FINALIZER } from "../../api/v1alpha1/oauthclient.ts";
import { verifySecret } from "../../registry/secret-hash.ts";
import {
  CLIENT_CREDENTIALS,
  condition,
  createClient,
  createNamespace,
  deleteClient,
  eventsFor,
  getClient,
  getSecret,
  ISSUER,
  metricsText,
  type OperatorWorld,
  oauthClient,
  patchClient,
  secretString,
  startOperatorWorld,
  waitForEvent,
  waitForGone,
  waitForReady,
  waitForReason,
  waitForRecord,
} from "./support.ts";

let world: OperatorWorld;

before(async () => {
  world = await startOperatorWorld();
});

after(async () => {
  await world?.stop();
});

test("apply: Ready, a Secret with the keys and an owner reference, a registry record matching the spec", async () => {
  const ns = await createNamespace(world, "apply");
  await createClient(
    world,
    oauthClient(ns, "orders", {
      ...CLIENT_CREDENTIALS,
      displayName: "Orders",
      accessToken: { lifetime: "15m", format: "opaque" },
      credentials: { secretTemplate: { labels: { team: "orders" }, annotations: { "example.com/note": "hi" } } },
    }),
  );
  const ready = await waitForReady(world, ns, "orders");
  const clientId = `orders.${ns}`;
  assert.equal(ready.status?.clientId, clientId);
  assert.equal(ready.status?.secretName, "orders-oauth-client");
  assert.equal(ready.status?.issuer, ISSUER);
  assert.equal(ready.status?.tokenEndpoint, `${ISSUER}/oauth2/token`);
  assert.ok(ready.status?.secretRotatedAt);
  assert.deepEqual(ready.metadata.finalizers, [FINALIZER]);
  for (const type of ["ClientIdAvailable", "CredentialsReady", "SecretReady", "RegistryReady"]) {
    const c = condition(ready, type);
    assert.equal(c?.status, "True", `${type}: ${JSON.stringify(c)}`);
    assert.equal(c?.observedGeneration, ready.metadata.generation);
    assert.ok(c?.lastTransitionTime && c.reason && c.message);
  }
  assert.equal(condition(ready, "CredentialsReady")?.reason, "SecretGenerated");

  const secret = await getSecret(world, ns, "orders-oauth-client");
  assert.ok(secret, "the Secret exists");
  assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ["client_id", "client_secret", "issuer", "token_endpoint"]);
  assert.equal(secretString(secret, "client_id"), clientId);
  assert.equal(secretString(secret, "issuer"), ISSUER);
  assert.equal(secretString(secret, "token_endpoint"), `${ISSUER}/oauth2/token`);
  const clientSecret = secretString(secret, "client_secret") ?? "";
  assert.match(clientSecret, /^tgcs_[A-Za-z0-9_-]{43}$/, "tgcs_ and a 256-bit secret");
  assert.equal(Buffer.from(clientSecret.slice("tgcs_".length), "base64url").length, 32);
  assert.equal(secret.metadata?.labels?.team, "orders");
  assert.equal(secret.metadata?.annotations?.["example.com/note"], "hi");
  const [owner, ...others] = secret.metadata?.ownerReferences ?? [];
  assert.equal(others.length, 0);
  assert.equal(owner?.kind, "OAuthClient");
  assert.equal(owner?.name, "orders");
  assert.equal(owner?.uid, ready.metadata.uid);
  assert.equal(owner?.controller, true);
  assert.equal(owner?.blockOwnerDeletion, true);

  const record = await world.registry.get(clientId);
  assert.ok(record, "the registry holds the client");
  assert.equal(record.source, `${ns}/orders`);
  assert.equal(record.sourceUid, ready.metadata.uid);
  assert.equal(record.displayName, "Orders");
  assert.deepEqual(record.grantTypes, ["client_credentials"]);
  assert.equal(record.subject, "svc-test");
  assert.deepEqual(record.scopes, ["orders:read", "orders:write"]);
  assert.deepEqual(record.accessToken, { lifetimeSeconds: 900, format: "opaque" });
  assert.equal(record.secrets.length, 1);
  assert.ok(verifySecret(clientSecret, record.secrets[0]?.hash ?? ""), "the record's hash matches the Secret's secret");
  assert.ok(!JSON.stringify(record).includes(clientSecret), "the raw secret is not in the registry");

  // A new client's credentials and record are one Event, not two.
  const registered = await waitForEvent(world, ns, "orders", "Registered", "Normal");
  assert.equal(
    registered.note,
    `Generated credentials in Secret ${ns}/orders-oauth-client; registry record for client ${clientId} created for generation 1`,
  );
  const reasons = (await eventsFor(world, ns, "orders")).map((e) => e.reason);
  assert.ok(!reasons.includes("CredentialsCreated") && !reasons.includes("RegistryUpdated"), reasons.join(", "));

  // A converged resource is not rewritten on resync: its resourceVersion stays put.
  const before = await getClient(world, ns, "orders");
  const recordBefore = await world.registry.get(clientId);
  await new Promise((r) => setTimeout(r, 6_000)); // longer than the 5 s resync period
  assert.equal((await getClient(world, ns, "orders"))?.metadata.resourceVersion, before?.metadata.resourceVersion);
  assert.equal((await world.registry.get(clientId))?.updatedAt, recordBefore?.updatedAt);
  for (const probe of ["healthz", "readyz"])
    assert.equal((await fetch(`http://127.0.0.1:${world.operator.port}/${probe}`)).status, 200, probe);
  const metrics = await metricsText(world.operator.port);
  assert.match(metrics, /controller_runtime_reconcile_total\{controller="oauthclient",result="success"\} [1-9]/);
  assert.match(metrics, /controller_runtime_reconcile_time_seconds_count\{controller="oauthclient"\} [1-9]/);
  assert.match(metrics, /workqueue_depth\{name="oauthclient"\} \d+/);
  assert.match(metrics, /tollgate_registry_write_errors_total 0/);
});

test("edit the spec: the registry follows; the secret and client ID stay", async () => {
  const ns = await createNamespace(world, "edit");
  await createClient(world, oauthClient(ns, "app", CLIENT_CREDENTIALS));
  await waitForReady(world, ns, "app");
  const clientId = `app.${ns}`;
  const secretBefore = secretString(await getSecret(world, ns, "app-oauth-client"), "client_secret");
  await patchClient(world, ns, "app", { spec: { scopes: ["orders:read", "billing:read"], disabled: true } });
  const record = await waitForRecord(world, clientId, "new scopes", (r) => r?.scopes.includes("billing:read") ?? false);
  assert.equal(record?.disabled, true);
  assert.equal(record?.generation, 2);
  const ready = await waitForReady(world, ns, "app");
  assert.equal(ready.status?.observedGeneration, 2);
  assert.equal(ready.status?.clientId, clientId);
  assert.equal(secretString(await getSecret(world, ns, "app-oauth-client"), "client_secret"), secretBefore);
});

test("a configured Secret name and key names are honoured", async () => {
  const ns = await createNamespace(world, "keys");
  await createClient(
    world,
    oauthClient(ns, "envy", {
      ...CLIENT_CREDENTIALS,
      credentials: {
        secretName: "envy-env",
        keys: { clientId: "CLIENT_ID", clientSecret: "CLIENT_SECRET", tokenEndpoint: "TOKEN_URL", issuer: "ISSUER" },
      },
    }),
  );
  const ready = await waitForReady(world, ns, "envy");
  assert.equal(ready.status?.secretName, "envy-env");
  const secret = await getSecret(world, ns, "envy-env");
  assert.deepEqual(Object.keys(secret?.data ?? {}).sort(), ["CLIENT_ID", "CLIENT_SECRET", "ISSUER", "TOKEN_URL"]);
  assert.equal(secretString(secret, "CLIENT_ID"), `envy.${ns}`);
  assert.equal(await getSecret(world, ns, "envy-oauth-client"), undefined);
  const record = await world.registry.get(`envy.${ns}`);
  assert.ok(verifySecret(secretString(secret, "CLIENT_SECRET") ?? "", record?.secrets[0]?.hash ?? ""));
});

test("a public client gets a Secret without a client secret, and a record without secret hashes", async () => {
  const ns = await createNamespace(world, "public");
  await createClient(
    world,
    oauthClient(ns, "spa", {
      clientType: "public",
      grantTypes: ["authorization_code"],
      redirectUris: ["https://app.example.com/callback"],
    }),
  );
  await waitForReady(world, ns, "spa");
  const secret = await getSecret(world, ns, "spa-oauth-client");
  assert.deepEqual(Object.keys(secret?.data ?? {}).sort(), ["client_id", "issuer", "token_endpoint"]);
  const record = await world.registry.get(`spa.${ns}`);
  assert.deepEqual(record?.secrets, []);
  assert.equal(record?.tokenEndpointAuthMethod, "none");
});

test("a Secret of the configured name that is not ours is left alone, and the condition says why", async () => {
  const ns = await createNamespace(world, "taken");
  await world.kube.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "squatter-oauth-client" }, stringData: { client_secret: "someone-elses" } },
  });
  await createClient(world, oauthClient(ns, "squatter", CLIENT_CREDENTIALS));
  const blocked = await waitForReason(world, ns, "squatter", "Ready", "SecretNotOwned");
  assert.match(condition(blocked, "CredentialsReady")?.message ?? "", /credentials\.source: adopt/);
  const secret = await getSecret(world, ns, "squatter-oauth-client");
  assert.equal(secretString(secret, "client_secret"), "someone-elses");
  assert.equal(secret?.metadata?.ownerReferences, undefined);
  assert.equal(await world.registry.get(`squatter.${ns}`), undefined);
});

/** The client-ID claim Leases (client-id-claim.ts) naming this client ID, wherever the operator keeps them. */
async function claimLeases(clientId: string): Promise<string[]> {
  const leases = await world.kube.coordination.listLeaseForAllNamespaces();
  return leases.items
    .filter((l) => l.metadata?.annotations?.["tollgate.dev/client-id"] === clientId)
    .map((l) => `${l.metadata?.namespace}/${l.metadata?.name}`);
}

test("delete: the registry entry goes, a tombstone stays, the claim is deleted, the finalizer is released", async () => {
  const ns = await createNamespace(world, "delete");
  await createClient(world, oauthClient(ns, "gone", CLIENT_CREDENTIALS));
  await waitForReady(world, ns, "gone");
  const clientId = `gone.${ns}`;
  assert.ok(await world.registry.get(clientId));
  assert.equal((await claimLeases(clientId)).length, 1, "the client ID is claimed by a Lease");
  const startedAt = Math.floor(Date.now() / 1000);
  await deleteClient(world, ns, "gone");
  await waitForGone(world, ns, "gone");
  assert.equal(await world.registry.get(clientId), undefined);
  const snapshot = await world.registry.snapshot();
  assert.ok((snapshot.tombstones.get(clientId) ?? 0) >= startedAt, "a tombstone revokes the client's tokens");
  assert.deepEqual(await claimLeases(clientId), [], "the claim does not outlive its holder");
  // No kube-controller-manager runs here, so nothing garbage-collects the Secret; its
  // controller owner reference (checked above) is what lets the cluster's GC do it.
  const secret = await getSecret(world, ns, "gone-oauth-client");
  assert.equal(secret?.metadata?.ownerReferences?.[0]?.kind, "OAuthClient");
});

test("adopt: waits (not Ready, WaitingForSecret) while the Secret is missing, then uses it without owning it", async () => {
  const ns = await createNamespace(world, "adopt");
  await createClient(
    world,
    oauthClient(ns, "legacy", {
      ...CLIENT_CREDENTIALS,
      credentials: { source: "adopt", secretName: "legacy-creds", keys: { clientSecret: "password" } },
    }),
  );
  const waiting = await waitForReason(world, ns, "legacy", "CredentialsReady", "WaitingForSecret");
  assert.equal(condition(waiting, "Ready")?.status, "False");
  assert.equal(condition(waiting, "Ready")?.reason, "WaitingForSecret");
  assert.match(condition(waiting, "Ready")?.message ?? "", /legacy-creds/);
  assert.equal(await getSecret(world, ns, "legacy-creds"), undefined, "nothing was generated in its place");
  assert.equal(await world.registry.get(`legacy.${ns}`), undefined);

  const adopted = "a-secret-chosen-by-the-team-long-enough-0123456789";
  await world.kube.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "legacy-creds" }, stringData: { password: adopted } },
  });
  const ready = await waitForReady(world, ns, "legacy");
  assert.equal(condition(ready, "CredentialsReady")?.reason, "SecretAdopted");
  const record = await world.registry.get(`legacy.${ns}`);
  assert.ok(verifySecret(adopted, record?.secrets[0]?.hash ?? ""));
  const secret = await getSecret(world, ns, "legacy-creds");
  assert.equal(secret?.metadata?.ownerReferences, undefined, "an adopted Secret is not owned");
  assert.deepEqual(Object.keys(secret?.data ?? {}), ["password"], "an adopted Secret is not written");

  // The team rotates the adopted Secret themselves: the registry follows.
  await world.kube.core.replaceNamespacedSecret({
    namespace: ns,
    name: "legacy-creds",
    body: { metadata: { name: "legacy-creds" }, stringData: { password: `${adopted}-v2` } },
  });
  await waitForRecord(world, `legacy.${ns}`, "the new adopted secret", (r) =>
    verifySecret(`${adopted}-v2`, r?.secrets[0]?.hash ?? ""),
  );
});

test("client-ID conflict: the later resource is not Ready and names the other; the first keeps the record", async () => {
  const nsA = await createNamespace(world, "conflict-a");
  const nsB = await createNamespace(world, "conflict-b");
  const first = await createClient(
    world,
    oauthClient(nsA, "first", { ...CLIENT_CREDENTIALS, clientId: "shared-client" }),
  );
  await waitForReady(world, nsA, "first");
  await createClient(world, oauthClient(nsB, "second", { ...CLIENT_CREDENTIALS, clientId: "shared-client" }));
  const loser = await waitForReason(world, nsB, "second", "Ready", "ClientIdConflict");
  assert.equal(condition(loser, "Ready")?.status, "False");
  assert.equal(loser.status?.clientId, undefined, "the ID is not recorded as this resource's");
  assert.match(condition(loser, "Ready")?.message ?? "", new RegExp(`${nsA}/first`));
  assert.equal(await getSecret(world, nsB, "second-oauth-client"), undefined);
  const record = await world.registry.get("shared-client");
  assert.equal(record?.sourceUid, first.metadata.uid, "the first resource keeps the record");
  await waitForEvent(world, nsB, "second", "ClientIdConflict", "Warning");

  // Deleting the loser must not unregister the winner.
  await deleteClient(world, nsB, "second");
  await waitForGone(world, nsB, "second");
  assert.equal((await world.registry.get("shared-client"))?.sourceUid, first.metadata.uid);

  // When the first goes, a new claimant gets the ID.
  const third = await createClient(
    world,
    oauthClient(nsB, "third", { ...CLIENT_CREDENTIALS, clientId: "shared-client" }),
  );
  await waitForReason(world, nsB, "third", "Ready", "ClientIdConflict");
  await deleteClient(world, nsA, "first");
  await waitForReady(world, nsB, "third");
  await waitForRecord(world, "shared-client", "owned by the third", (r) => r?.sourceUid === third.metadata.uid);
});

test("a malformed referenced JWKS: a clear condition, no crash loop, other clients unaffected; fixing it converges", async () => {
  const ns = await createNamespace(world, "badref");
  await world.kube.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "partner-jwks" }, stringData: { "jwks.json": "{not json" } },
  });
  const spec = {
    grantTypes: ["urn:ietf:params:oauth:grant-type:jwt-bearer" as const],
    identityMapping: { jwtIssuers: [{ issuer: "https://partner.example", jwksSecretRef: { name: "partner-jwks" } }] },
  };
  await createClient(world, oauthClient(ns, "partner", spec));
  await createClient(world, oauthClient(ns, "neighbour", CLIENT_CREDENTIALS));
  const bad = await waitForReason(world, ns, "partner", "RegistryReady", "InvalidReferencedSecret");
  assert.equal(condition(bad, "Ready")?.status, "False");
  assert.match(condition(bad, "Ready")?.message ?? "", /jwtIssuers\[0\]\.jwksSecretRef: is not valid JSON/);
  assert.equal(condition(bad, "SecretReady")?.status, "True", "the credentials Secret is still written");
  await waitForReady(world, ns, "neighbour");

  // Not retried in a loop: the error count does not grow while nothing changes.
  const errorsBefore = /result="error"\} (\d+)/.exec(await metricsText(world.operator.port))?.[1];
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(/result="error"\} (\d+)/.exec(await metricsText(world.operator.port))?.[1], errorsBefore);

  // Fixing the referenced Secret re-reconciles the resource that uses it.
  const jwks = {
    keys: [
      {
        kty: "EC",
        crv: "P-256",
        x: "SfH0VFV4WT2ByHHITsJxqtFTGItTNvtXA4_Aiz5jAsE",
        y: "x6AV2TTbWuE8EVu8SbDA8wtEMCmv5MVmSUiWJKZhZ_U",
      },
    ],
  };
  await world.kube.core.replaceNamespacedSecret({
    namespace: ns,
    name: "partner-jwks",
    body: { metadata: { name: "partner-jwks" }, stringData: { "jwks.json": JSON.stringify(jwks) } },
  });
  await waitForReady(world, ns, "partner");
  const record = await world.registry.get(`partner.${ns}`);
  assert.deepEqual(record?.identityMapping?.jwtIssuers[0]?.jwks, jwks);
});
