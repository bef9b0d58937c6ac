// Every key the token server will be handed is imported at compile time, as the token
// server imports it: an unusable key is a compile error (a False condition a person
// sees), not a Ready client that can never authenticate.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { API_VERSION, KIND, type OAuthClient, type OAuthClientSpec } from "../../../api/v1alpha1/oauthclient.ts";
import { CompileError, compileRecord } from "../../../registry/compile.ts";

const good = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });

function compile(spec: Partial<OAuthClientSpec>, secret?: string) {
  const resource: OAuthClient = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: "batch", namespace: "shop", uid: "u" },
    spec: { grantTypes: ["client_credentials"], ...spec },
  };
  return compileRecord({ resource, clientId: "shop-batch", secrets: [], lookup: () => secret });
}

const cases: [string, Record<string, unknown>, RegExp | undefined][] = [
  ["a valid EC key", { ...good, kid: "k1" }, undefined],
  [
    "an EC key with an invalid x and no y",
    { kty: "EC", crv: "P-256", kid: "bad", x: "not-a-point" },
    /key 0 \(kid "bad"\) is not a usable public key/,
  ],
  ["an EC key off its curve", { ...good, y: good.x }, /is not a usable public key/],
  ["an RSA key without its modulus", { kty: "RSA", e: "AQAB" }, /is not a usable public key/],
  ["an unknown key type", { kty: "XYZ" }, /is not a usable public key/],
];

for (const [name, key, error] of cases) {
  test(`private_key_jwt inline JWKS: ${name}`, () => {
    const spec: Partial<OAuthClientSpec> = { tokenEndpointAuthMethod: "private_key_jwt", jwks: { keys: [key] } };
    if (!error) assert.ok(compile(spec).jwks);
    else
      assert.throws(
        () => compile(spec),
        (e: unknown) => e instanceof CompileError && e.field === "spec.jwks" && error.test(e.message),
      );
  });
  test(`jwt-bearer issuer JWKS from a Secret: ${name}`, () => {
    const spec: Partial<OAuthClientSpec> = {
      grantTypes: ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
      identityMapping: { jwtIssuers: [{ issuer: "https://idp.example", jwksSecretRef: { name: "idp-keys" } }] },
    };
    const raw = JSON.stringify({ keys: [key] });
    if (!error) assert.ok(compile(spec, raw).identityMapping?.jwtIssuers[0]?.jwks);
    else
      assert.throws(
        () => compile(spec, raw),
        (e: unknown) => e instanceof CompileError && error.test(e.message),
      );
  });
}
