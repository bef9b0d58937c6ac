// The manifest validator of standalone mode (api/v1alpha1/validation/) must refuse
// exactly what kube-apiserver refuses: the same table of cases test/crd/validation.test.ts
// puts to a real API server, with the same fields and (for the CRD's own rules) the
// same messages; and it must accept every manifest the API server accepts, the
// examples included.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { CEL_SKIPPED_MESSAGE, ManifestValidator } from "../../../api/v1alpha1/validation/validate-manifest.ts";
import { CRD_FILE, exampleDocuments, oauthClient } from "../../crd/kube.ts";
import { accepted, rejected } from "../../crd/validation-cases.ts";

const validator = new ManifestValidator(readFileSync(CRD_FILE, "utf8"));

/** API-server messages that come from the schema's wording, not the CRD's: matched by field alone. */
const SCHEMA_WORDING = /^(Unsupported value|Duplicate value|must be of type|should have at least|Required value)/;

describe("standalone validation refuses what the API server refuses, with the same causes", () => {
  for (const c of rejected)
    test(c.name, () => {
      const name = (c.metadata?.name as string | undefined) ?? "bad-client";
      const got = validator.validate(structuredClone(oauthClient(name, c.spec, c.metadata ?? {})));
      const report = got.map((g) => `${g.field}: ${g.message}`).join("\n  ");
      assert.equal(got.length, c.expect.length, `expected ${c.expect.length} cause(s), got:\n  ${report}`);
      for (const [field, message] of c.expect)
        assert.ok(
          got.some(
            (g) =>
              g.field === field &&
              (SCHEMA_WORDING.test(message) || message === CEL_SKIPPED_MESSAGE || g.message.includes(message)),
          ),
          `no cause "${field}: ...${message}" among:\n  ${report}`,
        );
    });
});

describe("standalone validation accepts what the API server accepts", () => {
  for (const c of accepted)
    test(c.name, () => {
      const name = (c.metadata?.name as string | undefined) ?? "good-client";
      const got = validator.validate(structuredClone(oauthClient(name, c.spec, c.metadata ?? {})));
      assert.deepEqual(got, []);
    });
  test("every OAuthClient in examples/", () => {
    for (const { file, doc } of exampleDocuments())
      if (doc.kind === "OAuthClient") assert.deepEqual(validator.validate(structuredClone(doc)), [], file);
  });
});

test("a public client with client_credentials is refused (it loaded in standalone before)", () => {
  const got = validator.validate(
    oauthClient("public-cc", { clientType: "public", grantTypes: ["client_credentials"] }) as Record<string, unknown>,
  );
  assert.ok(
    got.some((g) => g.field === "spec.grantTypes" && g.message.includes("a public client can use only")),
    JSON.stringify(got),
  );
});

test("defaults are applied as the API server applies them", () => {
  const manifest = oauthClient("defaults", { grantTypes: ["client_credentials"] }) as { spec: Record<string, unknown> };
  assert.deepEqual(validator.validate(manifest), []);
  assert.equal(manifest.spec.clientType, "confidential");
});
