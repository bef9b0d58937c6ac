// Dynamic client registration (RFC 7591/7592) on the real API server: the registrar writes
// OAuthClients as the caller, the operator makes them Ready, the token server issues tokens
// to the credentials the registration returned. Asserts what a caller and `kubectl` see.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oauth from "openid-client";
import { api } from "../harness/kube-api.ts";
import { rememberCredential } from "../harness/log-capture.ts";
import { waitFor } from "../harness/processes.ts";
import { createPolicy, waitForAdmission } from "../tenancy/support.ts";
import { call, clientsIn, type RegistrarWorld, startRegistrarWorld, teamNamespace } from "./support.ts";

let w: RegistrarWorld;
let team: { deployer: string; viewer: string };

before(async () => {
  w = await startRegistrarWorld();
  team = await teamNamespace(w.world, "team-a");
});
after(() => w?.stop());

const clientPath = (uri: unknown) => new URL(String(uri)).pathname.split("/").slice(-2) as [string, string];

async function readResource(namespace: string, name: string) {
  return api<{
    metadata: { annotations?: Record<string, string>; deletionTimestamp?: string };
    spec: Record<string, unknown>;
    status?: { clientId?: string };
  }>(w.world.cp.kubeConfig, "GET", `/apis/tollgate.dev/v1alpha1/namespaces/${namespace}/oauthclients/${name}`);
}

async function clientCredentialsToken(clientId: string, secret: string, scope?: string) {
  const res = await fetch(`${w.tokenServer.url}/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "client_credentials", ...(scope ? { scope } : {}) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("RFC 7591 registration as a Kubernetes identity", () => {
  test("openid-client registers a client as a ServiceAccount allowed to; the credentials get a token; kubectl shows it", async () => {
    const discovered = await fetch(`${w.tokenServer.url}/.well-known/openid-configuration`).then((r) => r.json());
    assert.equal((discovered as Record<string, unknown>).registration_endpoint, w.registrationEndpoint);

    const before = Math.floor(Date.now() / 1000) - 1;
    const config = await oauth.dynamicClientRegistration(
      new URL(w.tokenServer.url),
      {
        client_name: "Inventory Sync",
        grant_types: ["client_credentials"],
        token_endpoint_auth_method: "client_secret_basic",
        scope: "inventory:read inventory:write",
        software_id: "inventory-sync",
        software_version: "1.4.0",
      },
      oauth.ClientSecretBasic(),
      { initialAccessToken: team.deployer, execute: [oauth.allowInsecureRequests] },
    );
    const registered = config.clientMetadata();
    const clientSecret = rememberCredential(String(registered.client_secret));
    rememberCredential(String(registered.registration_access_token));
    assert.match(String(registered.client_id), /^inventory-sync-[a-z0-9]{5}\.team-a$/);
    assert.match(clientSecret, /^tgcs_/);
    assert.equal(registered.client_secret_expires_at, 0, "no rotation schedule: the secret does not expire");
    assert.ok(Number(registered.client_id_issued_at) >= before);
    assert.match(String(registered.registration_access_token), /^tgra_/);
    assert.equal(registered.scope, "inventory:read inventory:write");
    assert.equal(registered.software_version, "1.4.0");
    const [namespace, name] = clientPath(registered.registration_client_uri);
    assert.equal(namespace, "team-a", "the ServiceAccount's own namespace, when no ?namespace= is given");

    // The token server issues a token to the credentials the registration returned.
    const tokens = await oauth.clientCredentialsGrant(config, { scope: "inventory:read" });
    assert.equal(tokens.token_type.toLowerCase(), "bearer");
    assert.equal(tokens.scope, "inventory:read");

    // An ordinary OAuthClient: listed by kubectl, with who registered it and when.
    const listed = await w.world.cp.kubectl(["get", "oauthclients", "-n", "team-a"]);
    assert.match(listed, new RegExp(`^${name}\\s+${String(registered.client_id).replace(/\./g, "\\.")}\\s+`, "m"));
    const resource = (await readResource(namespace, name)).body;
    const annotations = resource.metadata.annotations ?? {};
    assert.equal(annotations["tollgate.dev/registered-by"], "system:serviceaccount:team-a:deployer");
    assert.ok(Date.parse(annotations["tollgate.dev/registered-at"] ?? "") >= (before - 1) * 1000);
    assert.equal(annotations["tollgate.dev/software-id"], "inventory-sync");
    assert.deepEqual(resource.spec.scopes, ["inventory:read", "inventory:write"]);
    assert.ok(annotations["tollgate.dev/registration-access-token-mac"]);
    assert.ok(
      !JSON.stringify(resource).includes(String(registered.registration_access_token)),
      "the registration access token is stored only as a MAC",
    );
  });

  test("the namespace may be named; without RBAC there: 403 insufficient_scope and nothing is created", async () => {
    await w.world.cp.kubectl(["create", "namespace", "team-b"]);
    const metadata = { client_name: "Nope", grant_types: ["client_credentials"] };
    for (const [who, token, namespace] of [
      ["a ServiceAccount allowed nothing", team.viewer, "team-a"],
      ["a ServiceAccount in another namespace", team.deployer, "team-b"],
    ] as const) {
      const countBefore = (await clientsIn(w.world, namespace)).length;
      const res = await call("POST", `${w.registrationEndpoint}?namespace=${namespace}`, token, metadata);
      assert.equal(res.status, 403, who);
      assert.equal(res.body.error, "insufficient_scope", who);
      assert.match(String(res.body.error_description), /may not create oauthclients in namespace/);
      assert.equal(res.challenge, 'Bearer error="insufficient_scope"');
      assert.equal((await clientsIn(w.world, namespace)).length, countBefore, `${who}: nothing created`);
    }
    const anonymous = await call("POST", w.registrationEndpoint, undefined, metadata);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error, "invalid_token");
    const forged = await call("POST", w.registrationEndpoint, "not-a-kubernetes-token-at-all", metadata);
    assert.equal(forged.status, 401);
    assert.equal(forged.challenge, 'Bearer error="invalid_token"');
  });

  test("a CEL rule, the tenancy policy or metadata the CRD cannot express: invalid_client_metadata with the reason", async () => {
    const countBefore = (await clientsIn(w.world, "team-a")).length;
    const fragment = await call("POST", w.registrationEndpoint, team.deployer, {
      grant_types: ["authorization_code"],
      redirect_uris: ["https://app.example/cb#section"],
    });
    assert.equal(fragment.status, 400);
    assert.equal(fragment.body.error, "invalid_client_metadata");
    assert.match(String(fragment.body.error_description), /must not contain a fragment/, "the CRD's CEL message");

    const logo = await call("POST", w.registrationEndpoint, team.deployer, {
      logo_uri: "https://app.example/logo.png",
    });
    assert.equal(logo.status, 400);
    assert.equal(logo.body.error, "invalid_client_metadata");
    assert.match(String(logo.body.error_description), /^logo_uri: /);
    assert.equal((await clientsIn(w.world, "team-a")).length, countBefore, "nothing created");

    // The platform team's policy for team-c: inventory scopes only (the chart's ValidatingAdmissionPolicy).
    const teamC = await teamNamespace(w.world, "team-c");
    await createPolicy(w.world.cp, "team-c", {
      namespaces: { names: ["team-c"] },
      subjects: ["{namespace}/*", "*.{namespace}"],
      scopes: ["inventory:*"],
      grantTypes: ["client_credentials"],
    });
    await waitForAdmission(w.world.cp, "team-c", { grantTypes: ["client_credentials"], scopes: ["admin:all"] });
    const policy = await call("POST", w.registrationEndpoint, teamC.deployer, {
      grant_types: ["client_credentials"],
      scope: "admin:all",
    });
    assert.equal(policy.status, 400);
    assert.equal(policy.body.error, "invalid_client_metadata");
    assert.match(String(policy.body.error_description), /admin:all/);
    assert.match(String(policy.body.error_description), /ValidatingAdmissionPolicy 'tollgate-/);
    assert.equal((await clientsIn(w.world, "team-c")).length, 0, "nothing created");
    const allowed = await call("POST", w.registrationEndpoint, teamC.deployer, {
      grant_types: ["client_credentials"],
      scope: "inventory:read",
    });
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    rememberCredential(String(allowed.body.client_secret));
    rememberCredential(String(allowed.body.registration_access_token));
  });
});

describe("RFC 7592 management with the registration access token", () => {
  test("read, update and delete show on the resource; a hand edit wins; wrong and used tokens are refused", async () => {
    const created = await call("POST", w.registrationEndpoint, team.deployer, {
      client_name: "Storefront",
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      redirect_uris: ["https://shop.example/callback"],
      scope: "orders:read",
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const secret = rememberCredential(String(created.body.client_secret));
    let token = rememberCredential(String(created.body.registration_access_token));
    const uri = String(created.body.registration_client_uri);
    const clientId = String(created.body.client_id);
    const [namespace, name] = clientPath(uri);
    assert.equal((await clientCredentialsToken(clientId, secret)).status, 200);

    // Read: the metadata as the resource holds it, and the token's successor.
    const read = await call("GET", uri, token);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.client_id, clientId);
    assert.equal(read.body.client_secret, secret);
    assert.deepEqual(read.body.redirect_uris, ["https://shop.example/callback"]);
    const used = token;
    token = rememberCredential(String(read.body.registration_access_token));
    assert.notEqual(token, used);
    const reused = await call("GET", uri, used);
    assert.equal(reused.status, 401, "a used registration access token is refused");
    assert.equal(reused.body.error, "invalid_token");
    assert.equal(reused.challenge, 'Bearer error="invalid_token"');

    // A hand edit wins: RFC 7592 reads reflect it, and an update keeps what it cannot name.
    const edited = await api(
      w.world.cp.kubeConfig,
      "PATCH",
      `/apis/tollgate.dev/v1alpha1/namespaces/${namespace}/oauthclients/${name}`,
      {
        spec: {
          displayName: "Storefront (edited by hand)",
          scopes: ["orders:read", "orders:write"],
          skipConsent: true,
        },
      },
      { contentType: "application/merge-patch+json" },
    );
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    const afterEdit = await call("GET", uri, token);
    assert.equal(afterEdit.status, 200);
    assert.equal(afterEdit.body.client_name, "Storefront (edited by hand)");
    assert.equal(afterEdit.body.scope, "orders:read orders:write");
    token = rememberCredential(String(afterEdit.body.registration_access_token));

    // Update: new redirect URIs; the response and the resource both show them.
    // RFC 7592 section 2.2: the request leaves out the four fields only the server sets.
    const {
      registration_access_token: _t,
      registration_client_uri: _u,
      client_secret_expires_at: _e,
      client_id_issued_at: _i,
      ...metadata
    } = afterEdit.body;
    const updated = await call("PUT", uri, token, {
      ...metadata,
      redirect_uris: ["https://shop.example/callback", "https://shop.example/callback-v2"],
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(updated.body.redirect_uris, ["https://shop.example/callback", "https://shop.example/callback-v2"]);
    const resource = (await readResource(namespace, name)).body;
    assert.deepEqual(resource.spec.redirectUris, ["https://shop.example/callback", "https://shop.example/callback-v2"]);
    assert.equal(resource.spec.skipConsent, true, "a field RFC 7591 cannot name survives the update");
    assert.equal((await call("GET", uri, token)).status, 401, "the update used the token up");
    token = rememberCredential(String(updated.body.registration_access_token));

    // An update the API server refuses changes nothing and leaves the token usable.
    const refused = await call("PUT", uri, token, { ...metadata, redirect_uris: ["https://shop.example/cb#frag"] });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, "invalid_client_metadata");
    assert.match(String(refused.body.error_description), /fragment/);

    // Wrong tokens: made up, or another client's.
    const other = await call("POST", w.registrationEndpoint, team.deployer, { grant_types: ["client_credentials"] });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    rememberCredential(String(other.body.client_secret));
    const otherToken = rememberCredential(String(other.body.registration_access_token));
    for (const wrong of [`tgra_${"A".repeat(43)}`, otherToken, team.deployer]) {
      const res = await call("GET", uri, wrong);
      assert.equal(res.status, 401);
      assert.equal(res.body.error, "invalid_token");
    }
    assert.equal((await call("DELETE", uri, otherToken)).status, 401, "another client's token deletes nothing");

    // Delete: the resource goes, the client stops working, the token is dead.
    const deleted = await call("DELETE", uri, token);
    assert.equal(deleted.status, 204);
    await waitFor(
      "the OAuthClient to be gone",
      async () => (await readResource(namespace, name)).status === 404 || undefined,
      {
        timeoutMs: 20_000,
      },
    );
    await waitFor(
      "the token server to refuse the deleted client",
      async () => (await clientCredentialsToken(clientId, secret)).status === 401 || undefined,
      { timeoutMs: 20_000 },
    );
    assert.equal((await call("GET", uri, token)).status, 401);
  });

  test("a hand delete ends RFC 7592 access; a hand-edited registering identity does not verify", async () => {
    const created = await call("POST", w.registrationEndpoint, team.deployer, { grant_types: ["client_credentials"] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    rememberCredential(String(created.body.client_secret));
    const token = rememberCredential(String(created.body.registration_access_token));
    const uri = String(created.body.registration_client_uri);
    const [namespace, name] = clientPath(uri);
    const path = `/apis/tollgate.dev/v1alpha1/namespaces/${namespace}/oauthclients/${name}`;
    const escalated = await api(
      w.world.cp.kubeConfig,
      "PATCH",
      path,
      { metadata: { annotations: { "tollgate.dev/registered-identity": '{"uid":"","groups":["system:masters"]}' } } },
      { contentType: "application/merge-patch+json" },
    );
    assert.equal(escalated.status, 200);
    assert.equal((await call("GET", uri, token)).status, 401, "the MAC covers the identity it acts as");
    await w.world.cp.kubectl(["delete", "oauthclient", name, "-n", namespace, "--wait=true"]);
    assert.equal((await call("DELETE", uri, token)).status, 401);
  });
});

describe("the bounded wait for Ready", () => {
  // Last in the file: it stops the operator.
  test("no operator to make the client Ready: 503 temporarily_unavailable, and the resource is deleted again", async () => {
    await w.operator.stop();
    const countBefore = (await clientsIn(w.world, "team-a")).length;
    const res = await call("POST", w.registrationEndpoint, team.deployer, { grant_types: ["client_credentials"] });
    assert.equal(res.status, 503);
    assert.equal(res.body.error, "temporarily_unavailable");
    assert.match(String(res.body.error_description), /was not Ready within 8s/);
    assert.equal(res.body.client_secret, undefined);
    const left = (await clientsIn(w.world, "team-a")) as { metadata: { deletionTimestamp?: string } }[];
    assert.equal(
      left.filter((c) => !c.metadata.deletionTimestamp).length,
      countBefore,
      "nothing half-made stays (only its finalizer may hold it, for an operator to release)",
    );
  });
});
