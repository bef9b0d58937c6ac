// The OAuthClient resource as a user and the operator meet it on a real kube-apiserver:
// the examples apply, the API server fills in defaults, status is written only through
// the status subresource, and `kubectl get` shows the printer columns.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { GRANT_TYPES, type OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { compileRecord } from "../../registry/compile.ts";
import { startControlPlane } from "../harness/control-plane.ts";
import {
  api,
  causes,
  collectionPath,
  createNamespace,
  exampleDocuments,
  type Json,
  oauthClient,
  objectPath,
  secretValueFrom,
  serverSideApply,
} from "./kube.ts";

const run = promisify(execFile);
const cp = await startControlPlane();
after(() => cp.stop());
const kc = cp.kubeConfig;

interface Resource {
  metadata: { name: string; generation: number; resourceVersion: string };
  spec: Json;
  status?: Json;
}

const mergePatch = (path: string, patch: Json) =>
  api<Resource>(kc, "PATCH", path, patch, { contentType: "application/merge-patch+json" });

const readyStatus = (clientId: string, generation: number): Json => ({
  observedGeneration: generation,
  clientId,
  secretName: "x-oauth-client",
  secretRotatedAt: "2026-11-29T00:00:00Z",
  rotationRequestHandled: "1",
  issuer: "https://auth.example.com",
  tokenEndpoint: "https://auth.example.com/oauth2/token",
  conditions: [
    {
      type: "Ready",
      status: "True",
      reason: "Registered",
      message: "client registered and credentials written",
      lastTransitionTime: "2026-11-29T00:00:00Z",
      observedGeneration: generation,
    },
    {
      type: "Disabled",
      status: "False",
      reason: "Enabled",
      message: "the registry serves the client",
      lastTransitionTime: "2026-11-29T00:00:00Z",
      observedGeneration: generation,
    },
  ],
});

/** What the schema's default puts in a status nobody wrote: nothing observed yet (kstatus: InProgress). */
const UNOBSERVED = { observedGeneration: 0 };

describe("examples/", () => {
  const docs = exampleDocuments();

  test("holds one example per grant type and a combined one", () => {
    const clients = docs.filter((d) => d.doc.kind === "OAuthClient");
    const grants = new Set(clients.flatMap((d) => (d.doc.spec as { grantTypes: string[] }).grantTypes));
    for (const grant of GRANT_TYPES) assert.ok(grants.has(grant), `no example uses ${grant}`);
    assert.ok(
      clients.some((d) => (d.doc.spec as { grantTypes: string[] }).grantTypes.length === 6),
      "a combined example uses every grant type",
    );
    for (const { file, doc } of docs) {
      const namespace = (doc.metadata as { namespace?: string }).namespace;
      assert.ok(namespace === undefined || namespace === "default", `${file}: no namespace, or default`);
    }
  });

  // One namespace per file, as a user would apply each: `kubectl apply --server-side -f FILE`.
  for (const file of [...new Set(docs.map((d) => d.file))]) {
    test(`${file} is accepted as written (server-side apply, strict field validation)`, async () => {
      const namespace = `ex-${file.replace(/\.ya?ml$/, "").replace(/[^a-z0-9-]/g, "-")}`.slice(0, 63);
      await createNamespace(kc, namespace);
      for (const { doc } of docs.filter((d) => d.file === file)) {
        const name = (doc.metadata as { name: string }).name;
        const path =
          doc.kind === "OAuthClient" ? objectPath(namespace, name) : `/api/v1/namespaces/${namespace}/secrets/${name}`;
        const res = await serverSideApply(kc, path, doc);
        assert.equal(
          res.status,
          201,
          `${file} ${doc.kind}/${name}: ${causes(res).join("; ") || JSON.stringify(res.body)}`,
        );
        if (doc.kind === "OAuthClient") {
          // The standalone token server reads the file, with no API server defaulting;
          // the operator reads the stored object. Both must mean the same client.
          const fileDocs = docs.filter((d) => d.file === file).map((d) => d.doc);
          assert.deepEqual(
            compiled(res.body as unknown as OAuthClient, fileDocs),
            compiled(doc as unknown as OAuthClient, fileDocs),
            `${file}: the API server's defaults change what ${name} means`,
          );
        }
      }
    });
  }
});

/** The registry record of a resource, without what differs between any two writes of it or where it was applied. */
function compiled(resource: OAuthClient, fileDocs: Json[]): Json {
  const record = compileRecord({
    resource,
    clientId: "fixed",
    secrets: [],
    lookup: (r) => secretValueFrom(fileDocs, r.ref.name, r.ref.key ?? r.defaultKey),
  }) as unknown as Json;
  for (const volatile of ["updatedAt", "source", "namespace", "sourceUid", "generation"]) delete record[volatile];
  return record;
}

describe("defaults", () => {
  test("the API server fills in the documented defaults, and only inside objects the user wrote", async () => {
    await createNamespace(kc, "defaults");
    const res = await api<Resource>(
      kc,
      "POST",
      collectionPath("defaults"),
      oauthClient("minimal", {
        grantTypes: ["client_credentials"],
        accessToken: {},
        credentials: { keys: {}, rotation: { every: "720h" } },
      }),
    );
    assert.equal(res.status, 201, causes(res).join("; "));
    assert.deepEqual(res.body.spec, {
      grantTypes: ["client_credentials"],
      clientType: "confidential",
      accessToken: { lifetime: "1h", format: "jwt" },
      credentials: {
        source: "generate",
        keys: {
          clientId: "client_id",
          clientSecret: "client_secret",
          tokenEndpoint: "token_endpoint",
          issuer: "issuer",
        },
        rotation: { every: "720h", gracePeriod: "1h", revokeTokens: false },
      },
    });
  });

  test("the API server's defaults are the ones registry/compile.ts applies to an absent field", async () => {
    // Every object that carries defaults is present and empty, so every default fires.
    const manifest = oauthClient("every-default", {
      grantTypes: ["password", "refresh_token", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
      accessToken: {},
      refreshToken: {},
      identityMapping: { jwtIssuers: [{ issuer: "https://ci.example.com", jwksUri: "https://ci.example.com/jwks" }] },
      credentials: { rotation: { every: "720h" } },
    }) as unknown as OAuthClient;
    const res = await api<OAuthClient>(kc, "POST", collectionPath("defaults"), manifest);
    assert.equal(res.status, 201, causes(res).join("; "));
    const defaulted = res.body.spec;
    assert.ok(defaulted.accessToken?.lifetime && defaulted.refreshToken?.issuance, "the server filled defaults in");
    assert.ok(defaulted.identityMapping?.jwtIssuers?.[0]?.algorithms, "the server filled nested defaults in");
    assert.deepEqual(compiled(res.body, []), compiled(manifest, []));
  });

  test("a public client gets no default auth method, so the public-client rules still hold", async () => {
    const res = await api<Resource>(
      kc,
      "POST",
      collectionPath("defaults"),
      oauthClient("native", {
        clientType: "public",
        grantTypes: ["authorization_code"],
        redirectUris: ["http://127.0.0.1/cb"],
      }),
    );
    assert.equal(res.status, 201, causes(res).join("; "));
    assert.equal(res.body.spec.tokenEndpointAuthMethod, undefined);
  });

  test("trusted JWT issuers get their subject claim and algorithms", async () => {
    const res = await api<Resource>(
      kc,
      "POST",
      collectionPath("defaults"),
      oauthClient("assertions", {
        grantTypes: ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
        identityMapping: { jwtIssuers: [{ issuer: "https://ci.example.com", jwksUri: "https://ci.example.com/jwks" }] },
      }),
    );
    assert.equal(res.status, 201, causes(res).join("; "));
    assert.deepEqual(res.body.spec.identityMapping, {
      maxAssertionAge: "5m",
      jwtIssuers: [
        {
          issuer: "https://ci.example.com",
          jwksUri: "https://ci.example.com/jwks",
          subjectClaim: "sub",
          algorithms: ["RS256", "ES256"],
        },
      ],
    });
  });
});

describe("the status subresource", () => {
  const NS = "status";
  const path = objectPath(NS, "orders");

  test("status written with the main resource is ignored; the status subresource writes it", async () => {
    await createNamespace(kc, NS);
    const created = await api<Resource>(kc, "POST", collectionPath(NS), {
      ...oauthClient("orders", { grantTypes: ["client_credentials"] }),
      status: { clientId: "forged" },
    });
    assert.equal(created.status, 201, causes(created).join("; "));
    assert.deepEqual(created.body.status, UNOBSERVED, "status in a create is dropped; the default stands");

    const updated = await mergePatch(path, { spec: { displayName: "Orders" }, status: { clientId: "forged" } });
    assert.equal(updated.status, 200, causes(updated).join("; "));
    assert.equal(updated.body.spec.displayName, "Orders", "the spec change is applied");
    assert.deepEqual(updated.body.status, UNOBSERVED, "the status change is ignored");
    assert.equal(updated.body.metadata.generation, 2);

    const status = await mergePatch(`${path}/status`, {
      spec: { displayName: "ignored through /status" },
      status: readyStatus("orders.status", 2),
    });
    assert.equal(status.status, 200, causes(status).join("; "));
    assert.equal(status.body.status?.clientId, "orders.status");
    assert.equal(status.body.spec.displayName, "Orders", "a spec change through /status is ignored");
    assert.equal(status.body.metadata.generation, 2, "a status write does not bump the generation");

    const read = await api<Resource>(kc, "GET", path);
    assert.deepEqual(read.body.status, readyStatus("orders.status", 2));

    // A full update (PUT, as `kubectl replace` sends) that changes status keeps the stored status.
    const put = await api<Resource>(kc, "PUT", path, {
      ...read.body,
      spec: { ...read.body.spec, displayName: "Orders v2" },
      status: { ...readyStatus("forged", 3), clientId: "forged" },
    });
    assert.equal(put.status, 200, causes(put).join("; "));
    assert.equal(put.body.spec.displayName, "Orders v2");
    assert.deepEqual(put.body.status, readyStatus("orders.status", 2), "a PUT of the resource leaves status as it was");
  });

  test("the status schema is enforced too: conditions are metav1.Conditions", async () => {
    const res = await mergePatch(`${path}/status`, {
      status: {
        conditions: [{ type: "Ready", status: "Yes", reason: "Registered", message: "", lastTransitionTime: "now" }],
      },
    });
    assert.equal(res.status, 422);
    const found = causes(res).join("\n");
    assert.match(found, /status\.conditions\[0\]\.status: Unsupported value: "Yes"/);
    assert.match(found, /status\.conditions\[0\]\.lastTransitionTime: .*must be of type date-time/);
  });

  test("status.clientId is a selectable field, so a claimed client ID can be found", async () => {
    await api(kc, "POST", collectionPath(NS), oauthClient("billing", { grantTypes: ["client_credentials"] }));
    const res = await api<{ items: Resource[] }>(kc, "GET", collectionPath(NS), undefined, {
      query: { fieldSelector: "status.clientId=orders.status" },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.items.map((i) => i.metadata.name),
      ["orders"],
    );
  });
});

describe("printer columns", () => {
  const NS = "columns";

  interface Table {
    kind: string;
    columnDefinitions: { name: string; priority: number }[];
    rows: { cells: unknown[]; object: { metadata: { name: string } } }[];
  }

  test("the server-side Table API shows client ID, grant types, Ready, Disabled and age", async () => {
    await createNamespace(kc, NS);
    for (const [name, grantTypes] of [
      ["ready", ["client_credentials"]],
      ["pending", ["password", "refresh_token"]],
    ] as const) {
      const res = await api(kc, "POST", collectionPath(NS), oauthClient(name, { grantTypes }));
      assert.equal(res.status, 201, causes(res).join("; "));
    }
    const status = await mergePatch(`${objectPath(NS, "ready")}/status`, { status: readyStatus("ready.columns", 1) });
    assert.equal(status.status, 200, causes(status).join("; "));

    const res = await api<Table>(kc, "GET", collectionPath(NS), undefined, {
      accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.kind, "Table");
    const columns = res.body.columnDefinitions.map((c) => c.name);
    assert.deepEqual(columns, [
      "Name",
      "Client ID",
      "Grant Types",
      "Ready",
      "Disabled",
      "Type",
      "Secret",
      "Reason",
      "Age",
    ]);
    const wide = res.body.columnDefinitions.filter((c) => c.priority > 0).map((c) => c.name);
    assert.deepEqual(wide, ["Type", "Secret", "Reason"], "only these wait for -o wide");
    const row = (name: string) => {
      const found = res.body.rows.find((r) => r.object.metadata.name === name);
      assert.ok(found, `no row for ${name}`);
      return Object.fromEntries(columns.map((c, i) => [c, found.cells[i]]));
    };
    const ready = row("ready");
    assert.equal(ready.Name, "ready");
    assert.equal(ready["Client ID"], "ready.columns");
    assert.equal(ready["Grant Types"], '["client_credentials"]');
    assert.equal(ready.Ready, "True");
    assert.equal(ready.Disabled, "False");
    assert.equal(ready.Type, "confidential");
    assert.equal(ready.Secret, "x-oauth-client");
    assert.equal(ready.Reason, "Registered");
    assert.match(String(ready.Age), /^\d+s$/);
    const pending = row("pending");
    assert.equal(pending["Grant Types"], '["password","refresh_token"]');
    assert.equal(pending.Ready, null, "no Ready condition yet: empty cell");
    assert.equal(pending.Disabled, null);
    assert.equal(pending["Client ID"], null);
  });

  const kubectl = join(cp.binDir, "kubectl");
  // A missing kubectl is a broken test setup, not a reason to skip: these checks are the only ones of `kubectl get`.
  const kubectlCase = (name: string, body: () => Promise<void>) =>
    test(name, async () => {
      assert.ok(existsSync(kubectl), `kubectl is missing at ${kubectl}; run npm run control-plane:build`);
      await body();
    });

  kubectlCase("kubectl get shows the columns, by plural, short name and category", async () => {
    for (const resource of ["oauthclients", "oac", "tollgate"]) {
      const { stdout } = await run(kubectl, ["--kubeconfig", cp.kubeconfigPath, "get", resource, "-n", NS]);
      const [header, ...lines] = stdout.trim().split("\n");
      assert.match(
        header ?? "",
        /^NAME\s+CLIENT ID\s+GRANT TYPES\s+READY\s+DISABLED\s+AGE$/,
        `kubectl get ${resource}`,
      );
      const readyLine = lines.find((l) => l.startsWith("ready ") || l.startsWith("oauthclient.tollgate.dev/ready "));
      assert.match(readyLine ?? "", /ready\s+ready\.columns\s+\["client_credentials"\]\s+True\s+False\s+\d+s$/);
    }
    const { stdout: wide } = await run(kubectl, [
      "--kubeconfig",
      cp.kubeconfigPath,
      "get",
      "oac",
      "-n",
      NS,
      "-o",
      "wide",
    ]);
    assert.match(wide, /^NAME\s+CLIENT ID\s+GRANT TYPES\s+READY\s+DISABLED\s+TYPE\s+SECRET\s+REASON\s+AGE$/m);
    assert.match(
      wide,
      /ready\s+ready\.columns\s+\["client_credentials"\]\s+True\s+False\s+confidential\s+x-oauth-client\s+Registered/,
    );
  });

  kubectlCase("kubectl explain shows the field descriptions", async () => {
    const { stdout } = await run(kubectl, [
      "--kubeconfig",
      cp.kubeconfigPath,
      "explain",
      "oauthclients.spec.credentials.rotation.gracePeriod",
    ]);
    assert.match(stdout, /How long the previous secret keeps working after a rotation/);
    const { stdout: spec } = await run(kubectl, ["--kubeconfig", cp.kubeconfigPath, "explain", "oac.spec"]);
    assert.match(spec, /grantTypes\s+<\[\]string> -required-/);
  });
});
