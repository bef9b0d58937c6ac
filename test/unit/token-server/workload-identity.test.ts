// workload_identity client authentication at the token endpoint: a ServiceAccount token as
// an RFC 7523 client assertion with client_id, checked against a stand-in cluster issuer
// (support/cluster-issuer.ts). Each refusal is the exact OAuth error a client sees.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { decodeJwt } from "jose";
import type { ClientRecord } from "../../../registry/record.ts";
import { CLIENT_ASSERTION_TYPE } from "../../../token-server/client-auth/extract-credentials.ts";
import { CLUSTER_ISSUER, fakeClusterIssuer, type ServiceAccountTokenClaims } from "../support/cluster-issuer.ts";
import { basicAuth, record } from "../support/records.ts";
import { postForm, startUnitStack, type UnitStack } from "../support/token-server.ts";

const issuer = fakeClusterIssuer();
let stack: UnitStack;
let tokenUrl: string;
let client: ClientRecord;
let onceClient: ClientRecord;
let deletedAccountClient: ClientRecord;

const POD = { name: "orders-7d9f", uid: "pod-uid-1" };
const allowed = (overrides: Partial<ServiceAccountTokenClaims> = {}): ServiceAccountTokenClaims => ({
  namespace: "shop",
  serviceAccount: "orders",
  serviceAccountUid: "sa-uid-orders",
  pod: POD,
  audience: stack.running.issuer,
  ...overrides,
});

/** `null`: no client_id parameter at all. */
async function exchange(token: string, clientId: string | null = client.clientId) {
  return postForm(tokenUrl, {
    grant_type: "client_credentials",
    ...(clientId === null ? {} : { client_id: clientId }),
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: token,
  });
}

before(async () => {
  // Many refusals from one source: the failure lock-out (tested elsewhere) must not answer for them.
  stack = await startUnitStack({
    workloadIdentity: { issuer: CLUSTER_ISSUER, fetch: issuer.fetch },
    settings: { authFailureLimit: 1000 },
  });
  tokenUrl = `${stack.url}/oauth2/token`;
  const workload = (serviceAccounts: { name: string; uid?: string }[], tokenReuse: "allow" | "once" = "allow") =>
    record({
      namespace: "shop",
      tokenEndpointAuthMethod: "workload_identity",
      secrets: [],
      workloadIdentity: { serviceAccounts, tokenReuse },
    });
  client = workload([
    { name: "orders", uid: "sa-uid-orders" },
    { name: "billing", uid: "sa-uid-billing" },
  ]);
  onceClient = workload([{ name: "orders", uid: "sa-uid-orders" }], "once");
  // The operator left "orders" out: it was deleted.
  deletedAccountClient = workload([{ name: "billing", uid: "sa-uid-billing" }]);
  for (const r of [client, onceClient, deletedAccountClient]) await stack.put(r);
});

after(() => stack.close());

describe("workload identity at the token endpoint", () => {
  test("a pod-bound token of an allowed ServiceAccount gets an access token, reusable until it expires", async () => {
    const token = await issuer.token(allowed());
    for (let i = 0; i < 2; i++) {
      const response = await exchange(token);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.token_type, "Bearer");
      const claims = decodeJwt(response.body.access_token as string);
      assert.equal(claims.client_id, client.clientId);
    }
    const discovery = issuer.fetched.filter((url) => url.endsWith("/.well-known/openid-configuration"));
    assert.equal(discovery.length, 1, "discovery is read once, not per request");
  });

  const refusals: [string, () => Promise<[string, string | undefined]>, RegExp][] = [
    [
      "another ServiceAccount of the namespace",
      async () => [await issuer.token(allowed({ serviceAccount: "frontend", serviceAccountUid: "x" })), undefined],
      /ServiceAccount 'frontend' is not one this client's workloadIdentity names/,
    ],
    [
      "an allowed name from another namespace",
      async () => [await issuer.token(allowed({ namespace: "other" })), undefined],
      /a ServiceAccount of namespace 'other' may not authenticate as a client of namespace 'shop'/,
    ],
    [
      "a token for another audience (the API server's)",
      async () => [await issuer.token(allowed({ audience: "https://kubernetes.default.svc" })), undefined],
      /its audience \(aud\) is not this server/,
    ],
    ["an expired token", async () => [await issuer.token(allowed({ expiresIn: -120 })), undefined], /it has expired/],
    [
      "a token signed with another key",
      async () => [
        await issuer.token(allowed({ key: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey })),
        undefined,
      ],
      /its signature does not verify/,
    ],
    [
      "a token of another issuer",
      async () => [await issuer.token(allowed({ issuer: "https://other-cluster.example" })), undefined],
      /it is not from this cluster's service-account issuer/,
    ],
    [
      "a token not bound to a pod",
      async () => [await issuer.token(allowed({ pod: undefined })), undefined],
      /must be bound to a pod/,
    ],
    [
      "a token of a deleted and re-created ServiceAccount (another UID)",
      async () => [await issuer.token(allowed({ serviceAccountUid: "sa-uid-orders-before" })), undefined],
      /an earlier ServiceAccount 'orders'/,
    ],
    [
      "a token of a ServiceAccount deleted since (the operator dropped it)",
      async () => [await issuer.token(allowed()), deletedAccountClient.clientId],
      /ServiceAccount 'orders' is not one this client's workloadIdentity names, or it no longer exists/,
    ],
  ];
  for (const [name, make, description] of refusals)
    test(`refused with invalid_client: ${name}`, async () => {
      const [token, clientId] = await make();
      const response = await exchange(token, clientId ?? client.clientId);
      assert.equal(response.status, 401, JSON.stringify(response.body));
      assert.equal(response.body.error, "invalid_client");
      assert.match(String(response.body.error_description), description);
      assert.equal(response.headers.get("cache-control"), "no-store");
    });

  test("without client_id the ServiceAccount token names no client: invalid_client", async () => {
    const response = await exchange(await issuer.token(allowed()), null);
    assert.equal(response.status, 401);
    assert.equal(response.body.error, "invalid_client");
    assert.equal(
      response.body.error_description,
      "client_id is required with a ServiceAccount token: it names the client",
    );
  });

  test("a client secret is no way in for a workload_identity client", async () => {
    const response = await postForm(tokenUrl, { grant_type: "client_credentials" }, basicAuth(client.clientId));
    assert.equal(response.status, 401);
    assert.equal(response.body.error, "invalid_client");
    assert.equal(
      response.body.error_description,
      "this client must authenticate with workload_identity, not client_secret_basic",
    );
  });

  test("tokenReuse once: a token (by its jti) authenticates once", async () => {
    const token = await issuer.token(allowed({ jti: "jti-once-1" }));
    assert.equal((await exchange(token, onceClient.clientId)).status, 200);
    const again = await exchange(token, onceClient.clientId);
    assert.equal(again.status, 401);
    assert.equal(again.body.error, "invalid_client");
    assert.match(String(again.body.error_description), /already used/);
    const noJti = await exchange(await issuer.token(allowed()), onceClient.clientId);
    assert.equal(noJti.status, 401);
    assert.match(String(noJti.body.error_description), /has no jti/);
  });

  test("a ServiceAccount token for a private_key_jwt client is an assertion that does not verify", async () => {
    const pkjwt = record({ namespace: "shop", tokenEndpointAuthMethod: "private_key_jwt", secrets: [] });
    await stack.put(pkjwt);
    const response = await exchange(await issuer.token(allowed()), pkjwt.clientId);
    assert.equal(response.status, 401);
    assert.equal(response.body.error_description, "client_id does not match the client_assertion subject");
  });
});

describe("workload identity, misconfigured", () => {
  test("a discovery document naming another issuer: 503 temporarily_unavailable, never a guess", async () => {
    const wrong = fakeClusterIssuer();
    wrong.discoveryIssuer = "https://attacker.example";
    const other = await startUnitStack({ workloadIdentity: { issuer: CLUSTER_ISSUER, fetch: wrong.fetch } });
    try {
      const workload = record({
        namespace: "shop",
        tokenEndpointAuthMethod: "workload_identity",
        secrets: [],
        workloadIdentity: { serviceAccounts: [{ name: "orders" }], tokenReuse: "allow" },
      });
      await other.put(workload);
      const token = await wrong.token({ ...allowed(), audience: other.running.issuer });
      const response = await postForm(`${other.url}/oauth2/token`, {
        grant_type: "client_credentials",
        client_id: workload.clientId,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: token,
      });
      assert.equal(response.status, 503);
      assert.equal(response.body.error, "temporarily_unavailable");
      assert.ok(other.logs.some((line) => line.includes("names issuer https://attacker.example")));
    } finally {
      await other.close();
    }
  });

  test("a token server without --service-account-issuer refuses workload_identity clients", async () => {
    const plain = await startUnitStack();
    try {
      const workload = record({
        namespace: "shop",
        tokenEndpointAuthMethod: "workload_identity",
        secrets: [],
        workloadIdentity: { serviceAccounts: [{ name: "orders" }], tokenReuse: "allow" },
      });
      await plain.put(workload);
      const response = await postForm(`${plain.url}/oauth2/token`, {
        grant_type: "client_credentials",
        client_id: workload.clientId,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: await issuer.token({ ...allowed(), audience: plain.running.issuer }),
      });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, "invalid_client");
      assert.match(String(response.body.error_description), /workload identity is not configured/);
    } finally {
      await plain.close();
    }
  });
});
