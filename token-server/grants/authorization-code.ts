// RFC 6749 §4.1.3: the code from the authorization endpoint (authorize/), for an
// access token and, where the client has refresh_token, a refresh token.
//
// The code is taken from the token state atomically whatever happens next, so it
// works once. It must have been issued to the authenticated client (§4.1.3), with
// the same redirect_uri (§4.1.3, §10.6), and the code_verifier must hash to its
// S256 challenge (RFC 7636 §4.6); a verifier for a code issued without a challenge is
// refused too (PKCE downgrade, RFC 9700 §2.1.1). A code presented a second time is
// refused and every token issued from it revoked (§4.1.2, §10.5): the tokens join the
// refresh-token family chosen when the code was issued, and the family is revoked.

import { hashAuthorizationCode } from "../authorize/codes.ts";
import { CODE_VERIFIER, verifierMatches } from "../authorize/pkce.ts";
import { InvalidGrant, InvalidRequest } from "../errors.ts";
import { authenticatedClient, type Ctx, param, requiredParam } from "../request-context.ts";
import { revokeFamily } from "../tokens/family.ts";
import { registryVerdict } from "../tokens/liveness.ts";
import type { Grant, GrantOutcome } from "./grant.ts";

const INVALID = "the authorization code is invalid, expired or already used";

export const authorizationCode: Grant = {
  parameters: new Set(["code", "redirect_uri", "code_verifier"]),
  multiValued: new Set(),
  refreshToken: "registered",
  async handler(ctx: Ctx): Promise<GrantOutcome> {
    const client = authenticatedClient(ctx);
    const { server } = ctx.state;
    const code = requiredParam(ctx, "code");
    const verifier = param(ctx, "code_verifier");
    if (verifier !== undefined && !CODE_VERIFIER.test(verifier))
      throw new InvalidRequest("code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)");
    // The spent copy outlives every token the code can have led to, so a late replay still revokes them.
    const spentTtl = client.accessToken.lifetimeSeconds + client.refreshToken.lifetimeSeconds;
    const taken = await server.state.codes.take(hashAuthorizationCode(code), spentTtl);
    if (!taken) throw new InvalidGrant(INVALID, "unknown or expired code");
    const { record } = taken;
    const now = Math.floor(Date.now() / 1000);
    // The family's records must outlive any refresh token the code could have started.
    const family = {
      id: record.familyId,
      clientId: record.clientId,
      expiresAt: now + client.refreshToken.lifetimeSeconds,
    };
    if (!taken.firstUse) {
      await revokeFamily(server, family, "authorization code replayed");
      throw new InvalidGrant(INVALID, `code replayed; family ${record.familyId} revoked`);
    }
    if (record.clientId !== client.clientId)
      throw new InvalidGrant(INVALID, `code of client ${record.clientId} presented by ${client.clientId}`);
    if (record.expiresAt <= now) throw new InvalidGrant(INVALID, "code expired");
    const redirectUri = param(ctx, "redirect_uri");
    if (
      record.redirectUriInRequest
        ? redirectUri !== record.redirectUri
        : redirectUri !== undefined && redirectUri !== record.redirectUri
    )
      throw new InvalidGrant("redirect_uri does not match the one in the authorization request");
    if (record.codeChallenge === undefined) {
      if (verifier !== undefined)
        throw new InvalidGrant("code_verifier sent for a code issued without a code_challenge");
    } else {
      if (verifier === undefined) throw new InvalidRequest('the "code_verifier" parameter is required (PKCE)');
      if (!verifierMatches(verifier, record.codeChallenge))
        throw new InvalidGrant("the code_verifier does not match the code_challenge");
    }
    const verdict = registryVerdict(server, client.clientId, record.authTime);
    if (!verdict.active) throw new InvalidGrant(INVALID, verdict.reason);
    return {
      sub: record.sub,
      ...(record.identity ? { identity: record.identity } : {}),
      scope: record.scope,
      audience: record.audience,
      claims: { auth_time: record.authTime },
      idToken: { authTime: record.authTime, ...(record.nonce === undefined ? {} : { nonce: record.nonce }) },
      family: {
        id: record.familyId,
        authTime: record.authTime,
        expiresAt: now,
        // A replay of the code won the race and revoked the family while we issued: what we issued is taken back.
        revoked: () => new InvalidGrant(INVALID, "code replayed during the exchange"),
      },
    };
  },
};
