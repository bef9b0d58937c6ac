// allowedSubjects compile per JWT issuer and per SAML IdP; the old mapping-wide list
// (stored before the CRD refused it) never compiles into a client that allows every subject.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { API_VERSION, KIND, type OAuthClient, type OAuthClientSpec } from "../../../api/v1alpha1/oauthclient.ts";
import { CompileError, compileRecord } from "../../../registry/compile.ts";

const key = { ...generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }), kid: "k" };
const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

function compile(spec: Partial<OAuthClientSpec>) {
  const resource: OAuthClient = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: "partner", namespace: "shop", uid: "u" },
    spec: { grantTypes: ["urn:ietf:params:oauth:grant-type:jwt-bearer"], ...spec },
  };
  return compileRecord({ resource, clientId: "shop-partner", secrets: [], lookup: () => undefined });
}

test("allowedSubjects are compiled per issuer and per IdP", () => {
  const record = compile({
    identityMapping: {
      jwtIssuers: [
        { issuer: "https://a.example", jwks: { keys: [key] }, allowedSubjects: ["alice"] },
        { issuer: "https://b.example", jwks: { keys: [key] } },
      ],
      samlIdps: [{ entityId: "https://idp.example", certificates: [PEM], allowedSubjects: ["carol@example.com"] }],
    },
  });
  const mapping = record.identityMapping;
  assert.deepEqual(mapping?.jwtIssuers[0]?.allowedSubjects, ["alice"]);
  assert.equal(mapping?.jwtIssuers[1]?.allowedSubjects, undefined, "an issuer without a list allows its subjects");
  assert.deepEqual(mapping?.samlIdps[0]?.allowedSubjects, ["carol@example.com"]);
  assert.equal("allowedSubjects" in (mapping ?? {}), false);
});

test("a mapping-wide allowedSubjects is a compile error, not a client that allows everyone", () => {
  assert.throws(
    () =>
      compile({
        identityMapping: {
          jwtIssuers: [{ issuer: "https://a.example", jwks: { keys: [key] } }],
          allowedSubjects: ["alice"],
        },
      }),
    (error: unknown) =>
      error instanceof CompileError && /moved to each jwtIssuers\[\] and samlIdps\[\] entry/.test(error.message),
  );
});
