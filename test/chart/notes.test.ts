// NOTES.txt, as `helm install` prints it: commands that work as written. The client goes
// in an application namespace (one the operator manages), the Secret's name and key names
// are the example's own, and an empty `issuer` is explained (an in-cluster URL only pods
// reach) with the port-forward a laptop needs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { DEFAULT_KEYS } from "../../operator/reconcile/credentials-secret.ts";
import { CHART_DIR, helm } from "./render.ts";

/** The NOTES helm prints for an install with these values (a client-side dry run: no cluster). */
async function notes(...set: string[]): Promise<string> {
  const args = ["install", "tollgate", CHART_DIR, "--dry-run=client", "--namespace", "tollgate-system"];
  for (const value of set) args.push("--set", value);
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = "/nonexistent";
  try {
    const { code, output } = await helm(args);
    assert.equal(code, 0, output);
    const at = output.indexOf("NOTES:\n");
    assert.ok(at >= 0, output);
    return output.slice(at);
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
}

const example = parse(
  readFileSync(join(import.meta.dirname, "..", "..", "examples", "client-credentials.yaml"), "utf8"),
) as OAuthClient;

test("the default install: the client in an application namespace, the example's Secret and keys, what an empty issuer means", async () => {
  const text = await notes();
  assert.doesNotMatch(
    text,
    /-n tollgate-system -f client-credentials\.yaml/,
    "clients do not go in the release's namespace",
  );
  assert.match(text, /kubectl apply -n team-a -f client-credentials\.yaml/);
  assert.match(text, new RegExp(`--for=condition=Ready oauthclient/${example.metadata.name} `));
  const keys = example.spec.credentials?.keys;
  const secretName = example.spec.credentials?.secretName;
  for (const key of [keys?.clientId, keys?.clientSecret])
    assert.match(
      text,
      new RegExp(`kubectl get secret -n team-a ${secretName} -o jsonpath='\\{\\.data\\.${key}\\}' \\| base64 -d`),
    );
  assert.match(
    text,
    new RegExp(
      Object.values(DEFAULT_KEYS)
        .join(", ")
        .replace(/, (\w+)$/, " and $1"),
    ),
  );
  assert.match(text, /`issuer` is empty, so the issuer is this in-cluster Service URL/);
  assert.match(text, /kubectl port-forward -n tollgate-system svc\/tollgate-token-server 8080:80\n/);
  assert.match(
    text,
    /grant_type=client_credentials .*http:\/\/tollgate-token-server\.tollgate-system\.svc\/oauth2\/token/,
  );
});

test("a public issuer: no in-cluster caveat, the token endpoint under it", async () => {
  const text = await notes("issuer=https://auth.example.com", "tokenServer.service.port=8080");
  assert.doesNotMatch(text, /is empty|port-forward/);
  assert.match(text, /grant_type=client_credentials .*https:\/\/auth\.example\.com\/oauth2\/token/);
});

test("namespaced RBAC: the client goes in a namespace the operator manages, and NOTES lists them", async () => {
  const text = await notes("rbac.mode=namespaced", "rbac.namespaces={shop,billing}");
  assert.match(text, /OAuthClients are reconciled in tollgate-system, shop, billing only/);
  assert.match(text, /kubectl apply -n shop -f client-credentials\.yaml/);
  const alone = await notes("rbac.mode=namespaced");
  assert.match(alone, /kubectl apply -n tollgate-system -f client-credentials\.yaml/, "the only namespace it manages");
});
