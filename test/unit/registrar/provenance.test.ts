// The registration access token's MAC: it verifies only for the token it was made for, on
// the resource (uid) and the recorded identity it was made with; a hand edit of either
// ends access rather than widening it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";
import {
  ACCESS_TOKEN_MAC_ANNOTATION,
  AccessTokenSeal,
  mintAccessToken,
  provenanceAnnotations,
  REGISTERED_AT_ANNOTATION,
  REGISTERED_BY_ANNOTATION,
  REGISTERED_IDENTITY_ANNOTATION,
} from "../../../registrar/provenance.ts";

const seal = new AccessTokenSeal(Buffer.alloc(32, 7));
const caller = { username: "system:serviceaccount:team-a:ci", uid: "u-1", groups: ["system:serviceaccounts"] };

function registered(token: string): OAuthClient {
  const resource: OAuthClient = {
    apiVersion: "tollgate.dev/v1alpha1",
    kind: "OAuthClient",
    metadata: {
      name: "app-x1",
      namespace: "team-a",
      uid: "0f7c",
      annotations: provenanceAnnotations(caller, new Date("2026-12-03T12:00:00.123Z")),
    },
    spec: { grantTypes: ["client_credentials"] },
  };
  (resource.metadata.annotations as Record<string, string>)[ACCESS_TOKEN_MAC_ANNOTATION] = seal.mac(resource, token);
  return resource;
}

test("provenance: who registered it, when (seconds), and the identity RFC 7592 requests act as", () => {
  const annotations = registered(mintAccessToken()).metadata.annotations ?? {};
  assert.equal(annotations[REGISTERED_BY_ANNOTATION], "system:serviceaccount:team-a:ci");
  assert.equal(annotations[REGISTERED_AT_ANNOTATION], "2026-12-03T12:00:00Z");
  assert.deepEqual(JSON.parse(annotations[REGISTERED_IDENTITY_ANNOTATION] ?? ""), {
    uid: "u-1",
    groups: ["system:serviceaccounts"],
  });
});

test("the right token yields the recorded identity", () => {
  const token = mintAccessToken();
  assert.match(token, /^tgra_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(seal.verify(registered(token), token), caller);
});

const edit = (resource: OAuthClient, change: (r: OAuthClient) => void) => {
  const copy = structuredClone(resource);
  change(copy);
  return copy;
};
const token = mintAccessToken();
const CASES: [string, OAuthClient, string][] = [
  ["another token", registered(token), mintAccessToken()],
  ["the token without its prefix", registered(token), token.slice(5)],
  [
    "a hand-edited identity (group system:masters)",
    edit(registered(token), (r) => {
      (r.metadata.annotations as Record<string, string>)[REGISTERED_IDENTITY_ANNOTATION] =
        '{"uid":"","groups":["system:masters"]}';
    }),
    token,
  ],
  [
    "a hand-edited username",
    edit(registered(token), (r) => {
      (r.metadata.annotations as Record<string, string>)[REGISTERED_BY_ANNOTATION] = "kubernetes-admin";
    }),
    token,
  ],
  [
    "the annotations copied to another resource (uid)",
    edit(registered(token), (r) => (r.metadata.uid = "other")),
    token,
  ],
  [
    "the MAC removed by hand",
    edit(
      registered(token),
      (r) => delete (r.metadata.annotations as Record<string, string>)[ACCESS_TOKEN_MAC_ANNOTATION],
    ),
    token,
  ],
];
for (const [name, resource, presented] of CASES)
  test(`refused: ${name}`, () => {
    assert.equal(seal.verify(resource, presented), undefined);
  });

test("a different key does not verify", () => {
  assert.equal(new AccessTokenSeal(Buffer.alloc(32, 8)).verify(registered(token), token), undefined);
  assert.throws(() => new AccessTokenSeal(Buffer.alloc(16)), /at least 32 bytes/);
});
