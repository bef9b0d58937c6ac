// The examples are meant to be copied, and the standalone token server reads the
// examples/ folder as its registry. So beyond being accepted by the API server
// (resource.test.ts), each must compile with the operator's own compiler, with every
// Secret it references present in the same file: the folder is self-contained.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { compileRecord, defaultClientId, referencedSecrets } from "../../registry/compile.ts";
import { exampleDocuments, type Json, secretValueFrom } from "./kube.ts";

const documents = exampleDocuments();
const files = [...new Set(documents.map((d) => d.file))];

describe("every example compiles into a registry record", () => {
  for (const file of files) {
    const docs = documents.filter((d) => d.file === file).map((d) => d.doc);
    for (const resource of docs.filter((d) => d.kind === "OAuthClient") as unknown as OAuthClient[]) {
      test(`${file}: ${resource.metadata.name}`, () => {
        const lookup = (reference: ReturnType<typeof referencedSecrets>[number]) =>
          secretValueFrom(docs, reference.ref.name, reference.ref.key ?? reference.defaultKey);
        for (const reference of referencedSecrets(resource).filter((r) => !r.optional))
          assert.notEqual(
            lookup(reference),
            undefined,
            `${reference.field} names Secret "${reference.ref.name}" key "${reference.ref.key ?? reference.defaultKey}", which ${file} does not define`,
          );
        const clientId = resource.spec.clientId ?? defaultClientId("default", resource.metadata.name);
        const record = compileRecord({ resource, clientId, secrets: [], lookup });
        assert.equal(record.clientId, clientId);
        assert.deepEqual(record.grantTypes, resource.spec.grantTypes);
        const mapping = resource.spec.identityMapping;
        if (mapping?.userDirectorySecretRef)
          assert.ok((record.identityMapping?.users?.length ?? 0) > 0, "users parsed");
        if (mapping?.userDirectorySecretRef?.claimsKey)
          assert.ok(Object.keys(record.identityMapping?.userClaims ?? {}).length > 0, "users' claims parsed");
        for (const [i, idp] of (mapping?.samlIdps ?? []).entries())
          assert.ok(
            (record.identityMapping?.samlIdps[i]?.certificates.length ?? 0) > 0,
            `${idp.entityId} has certificates`,
          );
      });
    }
  }

  test("every Secret in examples/ is referenced by an OAuthClient in its file", () => {
    for (const file of files) {
      const docs = documents.filter((d) => d.file === file).map((d) => d.doc);
      const referenced = new Set(
        (docs.filter((d) => d.kind === "OAuthClient") as unknown as OAuthClient[]).flatMap((r) =>
          referencedSecrets(r).map((ref) => ref.ref.name),
        ),
      );
      for (const secret of docs.filter((d) => d.kind === "Secret"))
        assert.ok(referenced.has((secret.metadata as Json).name as string), `${file}: unused Secret`);
    }
  });
});
