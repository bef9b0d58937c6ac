// When a reconcile may start from the informer's copy instead of a live read: never
// from a copy older than the operator's own last write to the object.
import assert from "node:assert/strict";
import { test } from "node:test";
import { API_VERSION, KIND, type OAuthClient } from "../../../api/v1alpha1/oauthclient.ts";
import { CachedReads } from "../../../operator/controllers/cached-reads.ts";

function client(resourceVersion: string, secretRotatedAt?: string): OAuthClient {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: "orders", namespace: "shop", resourceVersion },
    spec: { grantTypes: ["client_credentials"] },
    ...(secretRotatedAt ? { status: { secretRotatedAt } } : {}),
  };
}

test("an OAuthClient's cached copy is current unless the operator wrote it since and the cache does not show that write", () => {
  const cases: { name: string; writes: string[]; forget?: boolean; cached: string; current: boolean }[] = [
    { name: "never written since start", writes: [], cached: "10", current: true },
    { name: "the cache shows the operator's last write", writes: ["11"], cached: "11", current: true },
    { name: "the cache is behind the operator's write", writes: ["11"], cached: "10", current: false },
    {
      name: "the cache shows an earlier own write, not the last",
      writes: ["11", "12"],
      cached: "11",
      current: false,
    },
    // Someone else wrote after the operator: not equal, so read live (one request, still correct).
    { name: "the cache shows a later version", writes: ["11"], cached: "13", current: false },
    { name: "deleted and forgotten", writes: ["11"], forget: true, cached: "10", current: true },
  ];
  for (const c of cases) {
    const reads = new CachedReads();
    for (const resourceVersion of c.writes) reads.wroteOAuthClient(client(resourceVersion));
    if (c.forget) reads.forgetOAuthClient(client("11"));
    assert.equal(reads.oauthClientIsCurrent(client(c.cached)), c.current, c.name);
  }
});

test("a credentials Secret is known absent only for a client that never had credentials, not in the cache, and never conflicted", () => {
  const cases: {
    name: string;
    rotatedAt?: string;
    inCache: boolean;
    conflicted?: boolean;
    deletedAfter?: boolean;
    absent: boolean;
  }[] = [
    { name: "a new client, nothing cached", inCache: false, absent: true },
    { name: "a new client, the Secret cached", inCache: true, absent: false },
    { name: "a client that had credentials", rotatedAt: "2026-12-01T00:00:00Z", inCache: false, absent: false },
    { name: "a create that conflicted", inCache: false, conflicted: true, absent: false },
    { name: "a conflicted Secret deleted since", inCache: false, conflicted: true, deletedAfter: true, absent: true },
  ];
  for (const c of cases) {
    const reads = new CachedReads();
    if (c.conflicted) reads.secretExists("shop", "orders-oauth");
    if (c.deletedAfter) reads.forgetSecret("shop", "orders-oauth");
    assert.equal(reads.secretKnownAbsent(client("1", c.rotatedAt), "orders-oauth", c.inCache), c.absent, c.name);
  }
});
