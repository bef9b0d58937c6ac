// RFC 6749 §6: a refresh token for a new access token. The token is bound to the
// client it was issued to (§10.4); the scope may narrow, never widen, and the access
// token's scope narrows while the grant's does not (a successor carries the original
// scope, §6). The client's registration decides what is handed back:
//   reuse           the same refresh token until it expires;
//   rotate          a new one each time, expiring when the first one did;
//   rotateAndReset  a new one each time, with the full lifetime again.
// Under rotation a token is single use: presenting a rotated-out one again means two
// parties hold it, so the whole family is revoked (RFC 9700 §4.14.2), its access
// tokens with it. Deleted, re-created, disabled and revoked-before clients end it too.
import type { ClientRecord } from "../../registry/record.ts";
import { InvalidGrant, InvalidRequest, InvalidScope } from "../errors.ts";
import { authenticatedClient, type Ctx, param, requiredParam } from "../request-context.ts";
import type { RefreshTokenRecord } from "../state/token-records.ts";
import { familyOf, revokeFamily } from "../tokens/family.ts";
import { findToken } from "../tokens/find-token.ts";
import { liveness } from "../tokens/liveness.ts";
import { hashRefreshToken, ROTATED_OUT, refreshIssuance } from "../tokens/refresh-tokens.ts";
import type { Grant, GrantOutcome } from "./grant.ts";

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const INVALID = "the refresh token is invalid, expired or revoked";

export const refreshToken: Grant = {
  parameters: new Set(["refresh_token", "scope"]),
  multiValued: new Set(),
  // A refresh grant continues its family (`continues`); it never starts one.
  refreshToken: "never",
  async handler(ctx: Ctx): Promise<GrantOutcome> {
    const client = authenticatedClient(ctx);
    const { server } = ctx.state;
    const presented = requiredParam(ctx, "refresh_token");
    const found = await findToken(server, presented);
    if (found?.kind !== "refresh") throw new InvalidGrant(INVALID, "unknown refresh token");
    const { record } = found;
    if (record.clientId !== client.clientId)
      throw new InvalidGrant(INVALID, `refresh token of client ${record.clientId} presented by ${client.clientId}`);
    // Rotation is settled below, atomically; everything else that ends a refresh token, here.
    const alive = await liveness(server, found);
    if (!alive.active) throw new InvalidGrant(INVALID, alive.reason);
    const scope = narrowedScope(client, record, param(ctx, "scope"));

    const mode = refreshIssuance(client);
    // Under reuse nothing is spent, but a token rotated out while the client rotated stays
    // out: presenting it is reuse of a rotated-out token, whatever the mode is now.
    if (mode === "reuse" && (await server.state.replay.isUsed(ROTATED_OUT, hashRefreshToken(presented)))) {
      await revokeFamily(server, familyOf(record), "a rotated-out refresh token was presented again");
      throw new InvalidGrant(
        "the refresh token was already used; every token issued from this grant is now revoked",
        `refresh-token reuse in family ${record.familyId}`,
      );
    }
    if (mode !== "reuse") {
      // Atomic: of two requests with the same token, exactly one wins; the other is reuse.
      const first = await server.state.replay.useOnce(
        ROTATED_OUT,
        hashRefreshToken(presented),
        record.expiresAt - now() + 1,
      );
      if (!first) {
        await revokeFamily(server, familyOf(record), "a rotated-out refresh token was presented again");
        throw new InvalidGrant(
          "the refresh token was already used; every token issued from this grant is now revoked",
          `refresh-token reuse in family ${record.familyId}`,
        );
      }
    }
    return {
      sub: record.sub,
      scope,
      audience: record.audience,
      claims: record.claims,
      // OpenID Connect Core §12.2: a refreshed code grant gets an ID token for the same sign-in.
      ...(record.grantType === "authorization_code" ? { idToken: { authTime: record.authTime } } : {}),
      continues: {
        presented,
        record,
        successor:
          mode === "reuse"
            ? "reuse"
            : { expiresAt: mode === "rotateAndReset" ? now() + client.refreshToken.lifetimeSeconds : record.expiresAt },
        revoked: () => new InvalidGrant(INVALID, "family revoked during the refresh"),
      },
    };
  },
};

/**
 * RFC 6749 §6: the requested scope must not include any scope not originally granted.
 * Scopes the client's registration no longer allows are dropped either way.
 */
function narrowedScope(client: ClientRecord, record: RefreshTokenRecord, requested: string | undefined): string[] {
  const stillAllowed = record.scope.filter((value) => client.scopes.includes(value));
  if (requested === undefined) return stillAllowed;
  const values = [...new Set(requested.split(" "))];
  if (values.some((value) => !SCOPE_TOKEN.test(value)))
    throw new InvalidRequest("scope must be space-delimited scope tokens (RFC 6749 §3.3)");
  const wider = values.filter((value) => !stillAllowed.includes(value));
  if (wider.length > 0)
    throw new InvalidScope(
      `scope ${wider.map((v) => `"${v}"`).join(", ")} was not granted with this refresh token; a refresh may only narrow the scope`,
    );
  return values;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
