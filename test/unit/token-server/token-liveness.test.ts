// Whether a token is alive, as a table: every reason an access or refresh token dies,
// and the order that keeps Redis out of the decision for a token already dead locally.
import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import type { ClientRecord } from "../../../registry/record.ts";
import { clientEntry } from "../../../token-server/client-entry.ts";
import type { TokenServer } from "../../../token-server/request-context.ts";
import { MemoryTokenState } from "../../../token-server/state/memory-state.ts";
import type { AccessTokenClaims, RefreshTokenRecord } from "../../../token-server/state/token-records.ts";
import { liveness } from "../../../token-server/tokens/liveness.ts";
import { hashRefreshToken, ROTATED_OUT } from "../../../token-server/tokens/refresh-tokens.ts";
import { mapping, record, userLine } from "../support/records.ts";

const ALICE = [userLine("alice", "pw")];

const NOW = 1_800_000_000;
const state = new MemoryTokenState();
beforeEach(() => mock.timers.enable({ apis: ["Date"], now: NOW * 1000 }));
afterEach(() => mock.timers.reset());

interface Case {
  name: string;
  client?: Partial<ClientRecord> | "unknown";
  tombstone?: number;
  claims?: Partial<AccessTokenClaims>;
  format?: "jwt" | "opaque";
  revokedJti?: boolean;
  expected: string;
}

const cases: Case[] = [
  { name: "alive", expected: "active" },
  { name: "opaque and alive", format: "opaque", expected: "active" },
  { name: "exp now", claims: { exp: NOW }, expected: "expired" },
  { name: "exp past", claims: { exp: NOW - 1 }, expected: "expired" },
  { name: "client deleted after issuance", tombstone: NOW - 10, client: "unknown", expected: "client deleted" },
  {
    name: "client deleted the second it was issued",
    tombstone: NOW - 60,
    client: "unknown",
    expected: "client deleted",
  },
  { name: "client re-created since: the old deletion predates the token", tombstone: NOW - 61, expected: "active" },
  {
    name: "client deleted before issuance, not re-created",
    tombstone: NOW - 61,
    client: "unknown",
    expected: "client unknown",
  },
  { name: "client unknown", client: "unknown", expected: "client unknown" },
  { name: "client disabled", client: { disabled: true }, expected: "client disabled" },
  {
    name: "issued before revokeTokensIssuedBefore",
    client: { revokeTokensIssuedBefore: NOW - 59 },
    expected: "issued before the client's revokeTokensIssuedBefore",
  },
  { name: "issued at revokeTokensIssuedBefore", client: { revokeTokensIssuedBefore: NOW - 60 }, expected: "active" },
  { name: "JWT whose jti is revoked", revokedJti: true, expected: "revoked" },
  { name: "opaque tokens are revoked by deletion, not by jti", format: "opaque", revokedJti: true, expected: "active" },
  { name: "expired and revoked: expiry answers first", claims: { exp: NOW }, revokedJti: true, expected: "expired" },
];

let sequence = 0;
for (const c of cases)
  test(`liveness: ${c.name}`, async () => {
    sequence += 1;
    const client = record(c.client === "unknown" ? {} : c.client);
    const claims: AccessTokenClaims = {
      iss: "https://issuer.example",
      sub: "svc",
      aud: "https://orders.example",
      client_id: client.clientId,
      jti: `jti-${sequence}`,
      iat: NOW - 60,
      exp: NOW + 540,
      ...c.claims,
    };
    if (c.revokedJti) await state.revocations.revoke(claims.jti, 600);
    let stateReads = 0;
    const server = {
      clients: {
        get: (id: string) => (c.client === "unknown" || id !== client.clientId ? undefined : client),
        tombstone: (id: string) => (id === client.clientId ? c.tombstone : undefined),
      },
      state: {
        revocations: {
          isRevoked: (jti: string) => {
            stateReads += 1;
            return state.revocations.isRevoked(jti);
          },
        },
      },
    } as unknown as TokenServer;
    const answer = await liveness(server, { kind: "access", format: c.format ?? "jwt", claims });
    assert.equal(answer.active ? "active" : answer.reason, c.expected);
    if (!answer.active && answer.reason !== "revoked") assert.equal(stateReads, 0, "dead locally: no token-state read");
  });

interface RefreshCase {
  name: string;
  client?: Partial<ClientRecord> | "unknown";
  tombstone?: number;
  record?: Partial<RefreshTokenRecord>;
  familyRevoked?: boolean;
  rotatedOut?: boolean;
  /** Whether the caller asks about rotation (introspection) or settles it itself (the refresh grant). */
  presented?: boolean;
  expected: string;
}

const refreshCases: RefreshCase[] = [
  { name: "alive", expected: "active" },
  { name: "expires now", record: { expiresAt: NOW }, expected: "expired" },
  { name: "client deleted after the sign-in", tombstone: NOW - 100, client: "unknown", expected: "client deleted" },
  { name: "client re-created after an older deletion", tombstone: NOW - 1000, expected: "active" },
  { name: "client disabled", client: { disabled: true }, expected: "client disabled" },
  {
    name: "signed in before revokeTokensIssuedBefore (issued after it)",
    client: { revokeTokensIssuedBefore: NOW - 100 },
    record: { authTime: NOW - 200, issuedAt: NOW - 10 },
    expected: "issued before the client's revokeTokensIssuedBefore",
  },
  { name: "family revoked", familyRevoked: true, expected: "refresh-token family revoked" },
  {
    name: "the user left the directory (grant-standing.ts, which has a table of its own)",
    client: { identityMapping: mapping({ users: [userLine("bob", "pw")] }) },
    familyRevoked: true,
    expected: "the user is no longer in the directory",
  },
  {
    name: "rotated out, asked by introspection",
    rotatedOut: true,
    presented: true,
    expected: "refresh token rotated out",
  },
  { name: "rotated out, left to the refresh grant", rotatedOut: true, presented: false, expected: "active" },
  {
    name: "expired and family revoked: expiry first",
    record: { expiresAt: NOW - 1 },
    familyRevoked: true,
    expected: "expired",
  },
];

for (const c of refreshCases)
  test(`liveness (refresh): ${c.name}`, async () => {
    sequence += 1;
    const client = record({
      grantTypes: ["password", "refresh_token"],
      identityMapping: mapping({ users: ALICE }),
      ...(c.client === "unknown" ? {} : c.client),
    });
    const presented = `tgrt_presented-${sequence}`;
    const stored: RefreshTokenRecord = {
      clientId: client.clientId,
      familyId: `family-${sequence}`,
      sub: "alice",
      scope: [],
      audience: ["https://orders.example"],
      claims: {},
      grantType: "password",
      authTime: NOW - 500,
      issuedAt: NOW - 500,
      expiresAt: NOW + 3000,
      ...c.record,
    };
    if (c.familyRevoked) await state.refresh.revokeFamily(stored.familyId, 600);
    if (c.rotatedOut) await state.replay.useOnce(ROTATED_OUT, hashRefreshToken(presented), 600);
    let stateReads = 0;
    const counted =
      <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
      (...args: A) => {
        stateReads += 1;
        return f(...args);
      };
    const server = {
      settings: { issuer: "https://issuer.example" },
      clients: {
        get: (id: string) => (c.client === "unknown" || id !== client.clientId ? undefined : client),
        entry: (id: string) => (id === client.clientId ? clientEntry(client) : undefined),
        tombstone: (id: string) => (id === client.clientId ? c.tombstone : undefined),
      },
      state: {
        refresh: { isFamilyRevoked: counted(state.refresh.isFamilyRevoked.bind(state.refresh)) },
        replay: { isUsed: counted(state.replay.isUsed.bind(state.replay)) },
      },
    } as unknown as TokenServer;
    const answer = await liveness(
      server,
      { kind: "refresh", record: stored },
      c.presented === false ? undefined : presented,
    );
    assert.equal(answer.active ? "active" : answer.reason, c.expected);
    if (c.expected === "expired" || /^(client|issued|the user)/.test(c.expected))
      assert.equal(stateReads, 0, "dead locally: no token-state read");
  });
