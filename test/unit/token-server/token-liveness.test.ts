// Whether an access token is alive, as a table: every reason a token dies, and the
// order that keeps Redis out of the decision for a token already dead locally.
import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import type { ClientRecord } from "../../../registry/record.ts";
import type { TokenServer } from "../../../token-server/context.ts";
import { MemoryTokenState } from "../../../token-server/state/memory-state.ts";
import type { AccessTokenClaims } from "../../../token-server/state/token-state.ts";
import { tokenLiveness } from "../../../token-server/tokens/token-liveness.ts";
import { record } from "../support/records.ts";

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
    if (c.revokedJti) await state.revokeJti(claims.jti, 600);
    let stateReads = 0;
    const server = {
      clients: {
        get: (id: string) => (c.client === "unknown" || id !== client.clientId ? undefined : client),
        tombstone: (id: string) => (id === client.clientId ? c.tombstone : undefined),
      },
      state: {
        isJtiRevoked: (jti: string) => {
          stateReads += 1;
          return state.isJtiRevoked(jti);
        },
      },
    } as unknown as TokenServer;
    const answer = await tokenLiveness(server, { format: c.format ?? "jwt", claims });
    assert.equal(answer.active ? "active" : answer.reason, c.expected);
    if (!answer.active && answer.reason !== "revoked") assert.equal(stateReads, 0, "dead locally: no token-state read");
  });
