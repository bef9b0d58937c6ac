// Every validation rule of the OAuthClient CRD, exercised on a real kube-apiserver:
// each bad manifest carries exactly one fault and must be rejected with 422 and
// exactly the expected causes (field and message as the API server reports them),
// and the values at the edge of each rule must be accepted. Schema (OpenAPI) errors
// stop the API server before CEL runs, so a manifest with two kinds of fault would
// hide one of them: hence one fault per case.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { startControlPlane } from "../harness/control-plane.ts";
import {
  api,
  type Cause,
  causes,
  collectionPath,
  createNamespace,
  type Json,
  loadCrd,
  oauthClient,
  objectPath,
  type StatusBody,
} from "./kube.ts";
import { accepted, cc, type Expected, JWT_BEARER, M, rejected, SAML2_BEARER } from "./validation-cases.ts";

const cp = await startControlPlane();
after(() => cp.stop());
const kc = cp.kubeConfig;
const NS = "validation";
await createNamespace(kc, NS);

/** Every message the API server reported in this file, for the coverage check at the end. */
const observed: string[] = [];

function assertCauses(label: string, res: { status: number; body: unknown }, expected: Expected[]): void {
  const body = res.body as StatusBody;
  observed.push(...(body.details?.causes ?? []).map((c) => c.message));
  assert.equal(res.status, 422, `${label}: expected 422 Invalid, got ${res.status}: ${JSON.stringify(body)}`);
  assert.equal(body.reason, "Invalid");
  const got: Cause[] = body.details?.causes ?? [];
  const report = causes(res).join("\n  ");
  assert.equal(got.length, expected.length, `${label}: expected ${expected.length} cause(s), got:\n  ${report}`);
  for (const [field, message] of expected) {
    assert.ok(
      got.some((c) => c.field === field && c.message.includes(message)),
      `${label}: no cause "${field}: ...${message}" among:\n  ${report}`,
    );
  }
}

describe("the API server rejects a manifest with one fault, saying what is wrong", () => {
  for (const c of rejected) {
    test(c.name, async () => {
      const name = (c.metadata?.name as string | undefined) ?? "bad-client";
      const res = await api(kc, "POST", collectionPath(NS), oauthClient(name, c.spec, c.metadata ?? {}), {
        query: { dryRun: "All" },
      });
      assertCauses(c.name, res, c.expect);
    });
  }
});

describe("the API server accepts the values at the edge of each rule", () => {
  for (const c of accepted) {
    test(c.name, async () => {
      const name = (c.metadata?.name as string | undefined) ?? "good-client";
      const res = await api(kc, "POST", collectionPath(NS), oauthClient(name, c.spec, c.metadata ?? {}), {
        query: { dryRun: "All" },
      });
      assert.equal(res.status, 201, `${c.name}: ${causes(res).join("; ") || JSON.stringify(res.body)}`);
    });
  }
});

describe("clientId never changes once applications may hold it", () => {
  const mergePatch = (name: string, patch: Json, subresource = "") =>
    api(kc, "PATCH", `${objectPath(NS, name)}${subresource}`, patch, { contentType: "application/merge-patch+json" });
  const create = async (name: string, spec: Json) => {
    const res = await api(kc, "POST", collectionPath(NS), oauthClient(name, spec));
    assert.equal(res.status, 201, causes(res).join("; "));
  };

  test("a set clientId cannot change", async () => {
    await create("fixed-id", cc({ clientId: "orders-sync" }));
    const res = await mergePatch("fixed-id", { spec: { clientId: "orders-sync-v2" } });
    assertCauses("change", res, [
      [
        "spec.clientId",
        'clientId is immutable (it is "orders-sync"): applications already use it. Create a new OAuthClient for a new ID.',
      ],
    ]);
    const unchanged = await mergePatch("fixed-id", { spec: { clientId: "orders-sync", displayName: "Orders" } });
    assert.equal(unchanged.status, 200, "re-applying the same clientId with other changes is fine");
  });

  test("a set clientId cannot be removed", async () => {
    await create("kept-id", cc({ clientId: "billing" }));
    const res = await mergePatch("kept-id", { spec: { clientId: null } });
    assertCauses("removal", res, [["spec.clientId", M.clientIdRemoved]]);
  });

  test("a clientId can be added later only with the ID already in use", async () => {
    await create("late-id", cc());
    const status = await mergePatch("late-id", { status: { clientId: "late-id.validation" } }, "/status");
    assert.equal(status.status, 200, JSON.stringify(status.body));
    const other = await mergePatch("late-id", { spec: { clientId: "something-else" } });
    assertCauses("adding a different ID", other, [
      [
        "spec.clientId",
        'spec.clientId can only be added later with the ID this client already has ("late-id.validation"); a different ID would silently break every application using the current one. Create a new OAuthClient for a new ID.',
      ],
    ]);
    const same = await mergePatch("late-id", { spec: { clientId: "late-id.validation" } });
    assert.equal(same.status, 200, `pinning the ID in use is allowed: ${causes(same).join("; ")}`);
  });

  test("a clientId can be added before the operator has assigned one", async () => {
    await create("early-id", cc());
    const res = await mergePatch("early-id", { spec: { clientId: "early" } });
    assert.equal(res.status, 200, causes(res).join("; "));
  });
});

test("every rule in the CRD was seen rejecting a manifest above", () => {
  const rules: { rule: string; message: string; dynamic: boolean }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "x-kubernetes-validations")
          for (const r of value as { rule: string; message: string; messageExpression?: string }[])
            rules.push({ rule: r.rule, message: r.message, dynamic: r.messageExpression !== undefined });
        else walk(value);
      }
    }
  };
  walk(loadCrd());
  assert.ok(rules.length >= 40, `found only ${rules.length} rules: the walk is broken`);
  // A messageExpression rule reports a computed message: it shares its opening words with the static one.
  const seen = (r: (typeof rules)[number]) =>
    observed.some((m) => (r.dynamic ? m.includes(r.message.slice(0, 21)) : m.endsWith(r.message)));
  const untested = rules.filter((r) => !seen(r)).map((r) => `${r.rule}\n    (${r.message})`);
  assert.deepEqual(untested, [], "rules that no test above made the API server report");
});

test("a client at every list's and string's size limit is validated within the API server's CEL cost budget", async () => {
  // The CRD's static cost estimate is checked against a per-CRD limit when it is installed;
  // an object is checked against a smaller runtime budget. Sizes here are the CRD's maxima.
  const fill = (prefix: string, length: number) => prefix + "a".repeat(length - prefix.length);
  const BEGIN = "-----BEGIN CERTIFICATE-----\n";
  const END = "\n-----END CERTIFICATE-----";
  const pem = (n: number) => BEGIN + fill(`Q${n}`, 16384 - BEGIN.length - END.length) + END;
  const scopes = Array.from({ length: 64 }, (_, i) => fill(`s${i}:`, 128));
  const audiences = Array.from({ length: 32 }, (_, i) => fill(`https://api${i}.example.com/`, 512));
  const spec = {
    grantTypes: ["authorization_code", "refresh_token", "client_credentials", "password", SAML2_BEARER, JWT_BEARER],
    redirectUris: Array.from({ length: 32 }, (_, i) => fill(`https://app${i}.example.com/`, 2048)),
    scopes,
    defaultScopes: scopes,
    audiences,
    defaultAudience: audiences[31],
    identityMapping: {
      jwtIssuers: Array.from({ length: 16 }, (_, i) => ({
        issuer: fill(`https://i${i}.example/`, 1024),
        jwksUri: fill(`https://i${i}.example/`, 2048),
        allowedSubjects: Array.from({ length: 32 }, (_, j) => fill(`u${i}.${j}`, 255)),
      })),
      samlIdps: Array.from({ length: 16 }, (_, i) => ({
        entityId: fill(`e${i}`, 1024),
        certificates: Array.from({ length: 8 }, (_, j) => pem(i * 8 + j)),
        allowedSubjects: Array.from({ length: 32 }, (_, j) => fill(`s${i}.${j}`, 255)),
      })),
      claimMappings: Array.from({ length: 32 }, (_, i) => ({ from: fill(`f${i}`, 256), to: fill(`t${i}`, 256) })),
      audiences: Array.from({ length: 16 }, (_, i) => fill(`urn:x:${i}:`, 512)),
    },
    credentials: {
      secretTemplate: {
        labels: Object.fromEntries(
          Array.from({ length: 64 }, (_, i) => [fill(`example.com/l${i}-`, 75), fill(`v${i}`, 63)]),
        ),
        annotations: Object.fromEntries(
          Array.from({ length: 64 }, (_, i) => [fill(`example.com/a${i}-`, 75), "x".repeat(8192)]),
        ),
      },
    },
  };
  const res = await api(kc, "POST", collectionPath(NS), oauthClient("largest", spec), { query: { dryRun: "All" } });
  assert.equal(res.status, 201, causes(res).join("; ") || JSON.stringify(res.body).slice(0, 1000));
});
