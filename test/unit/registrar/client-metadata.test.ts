// RFC 7591 metadata onto the OAuthClient spec: what maps, what is refused by name, and
// that an update keeps the spec fields the metadata cannot name (hand edits).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";
import { metadataToSpec, specToMetadata } from "../../../registrar/client-metadata.ts";
import { RegistrationError } from "../../../registrar/errors.ts";
import { generateName, secretExpiry } from "../../../registrar/registrar.ts";

test("metadata maps onto the spec; software_id and software_version become annotations", () => {
  const { spec, annotations } = metadataToSpec({
    client_name: "Mobile App",
    redirect_uris: ["com.example.app:/cb"],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    scope: "openid  orders:read",
    software_id: "4NRB1-0XZABZI9E6-5SM3R",
    software_version: "2.1",
  });
  assert.deepEqual(spec, {
    grantTypes: ["authorization_code", "refresh_token"],
    tokenEndpointAuthMethod: "none",
    clientType: "public",
    displayName: "Mobile App",
    redirectUris: ["com.example.app:/cb"],
    scopes: ["openid", "orders:read"],
  });
  assert.deepEqual(annotations, {
    "tollgate.dev/software-id": "4NRB1-0XZABZI9E6-5SM3R",
    "tollgate.dev/software-version": "2.1",
  });
});

test("RFC 7591 defaults: authorization_code and client_secret_basic, a confidential client", () => {
  assert.deepEqual(metadataToSpec({ redirect_uris: ["https://a.example/cb"] }).spec, {
    grantTypes: ["authorization_code"],
    tokenEndpointAuthMethod: "client_secret_basic",
    clientType: "confidential",
    redirectUris: ["https://a.example/cb"],
  });
});

const REFUSALS: [string, unknown, RegExp][] = [
  ["a field the CRD cannot express", { logo_uri: "https://a.example/logo.png" }, /^logo_uri: /],
  ["contacts", { contacts: ["ops@example.com"] }, /^contacts: /],
  ["an unsupported grant", { grant_types: ["implicit"] }, /^grant_types: implicit is not supported/],
  ["a token response type", { response_types: ["token"] }, /^response_types: only "code"/],
  [
    "code without its grant",
    { grant_types: ["client_credentials"], response_types: ["code"] },
    /needs the authorization_code/,
  ],
  ["client_secret_jwt", { token_endpoint_auth_method: "client_secret_jwt" }, /^token_endpoint_auth_method: /],
  ["a wrong type", { redirect_uris: "https://a.example/cb" }, /^redirect_uris: must be an array of strings/],
  ["a JWK set without keys", { jwks: { key: 1 } }, /^jwks: /],
  ["a software statement", { software_statement: "eyJ..." }, /^software_statement: /],
  ["not an object", ["a"], /JSON object/],
];
for (const [name, metadata, message] of REFUSALS)
  test(`refused as invalid_client_metadata, naming the field: ${name}`, () => {
    assert.throws(
      () => metadataToSpec(metadata),
      (e: unknown) =>
        e instanceof RegistrationError && e.error === "invalid_client_metadata" && message.test(e.message),
    );
  });

test("an update replaces what the metadata owns and keeps every other field (a hand-set subject, audiences)", () => {
  const { spec } = metadataToSpec(
    { grant_types: ["client_credentials"], scope: "orders:write" },
    {
      grantTypes: ["client_credentials"],
      subject: "team-a/svc",
      audiences: ["https://api.example"],
      scopes: ["orders:read"],
      jwksUri: "https://a.example/jwks",
    },
  );
  assert.deepEqual(spec, {
    subject: "team-a/svc",
    audiences: ["https://api.example"],
    grantTypes: ["client_credentials"],
    tokenEndpointAuthMethod: "client_secret_basic",
    clientType: "confidential",
    scopes: ["orders:write"],
  });
});

function resource(spec: OAuthClient["spec"], extra: Partial<OAuthClient> = {}): OAuthClient {
  return {
    apiVersion: "tollgate.dev/v1alpha1",
    kind: "OAuthClient",
    metadata: { name: "c", namespace: "team-a", annotations: { "tollgate.dev/software-id": "sw" } },
    spec,
    ...extra,
  };
}

test("the resource reads back as metadata (hand edits included), with response_types for the code flow", () => {
  assert.deepEqual(
    specToMetadata(
      resource({ grantTypes: ["authorization_code"], redirectUris: ["https://a/cb"], scopes: ["x", "y"] }),
    ),
    {
      redirect_uris: ["https://a/cb"],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      scope: "x y",
      software_id: "sw",
    },
  );
  assert.equal(
    specToMetadata(resource({ grantTypes: ["authorization_code"], clientType: "public" })).token_endpoint_auth_method,
    "none",
  );
});

test("client_secret_expires_at: the rotation schedule from the last rotation, else 0 (never)", () => {
  const rotated = resource(
    { grantTypes: ["client_credentials"], credentials: { rotation: { every: "720h" } } },
    { status: { secretRotatedAt: "2026-12-01T00:00:00Z" } },
  );
  assert.equal(secretExpiry(rotated), Date.parse("2026-12-31T00:00:00Z") / 1000);
  assert.equal(secretExpiry(resource({ grantTypes: ["client_credentials"] })), 0);
});

test("generateName: the client name as a DNS prefix, or client-", () => {
  assert.equal(generateName("My Mobile App (iOS)"), "my-mobile-app-ios-");
  assert.equal(generateName(undefined), "client-");
  assert.equal(generateName("!!!"), "client-");
  assert.ok(generateName("x".repeat(300)).length <= 41);
});
