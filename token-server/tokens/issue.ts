// The one place tokens are issued after a grant decided what they carry: the access
// token, a refresh token where the grant's declared policy and the client's
// registration allow one (or the successor a refresh grant continues with), the family
// they join, and the RFC 6749 §5.1 response body.
import type { ClientRecord } from "../../registry/record.ts";
import type { Grant, GrantOutcome, TokenResponse } from "../grants/grant.ts";
import type { TokenServer } from "../request-context.ts";
import type { RefreshTokenRecord } from "../state/token-records.ts";
import { accessTokenMember, type Family, FamilyRevoked, familyOf, join, newFamilyId } from "./family.ts";
import { signIdToken } from "./id-token.ts";
import { type IssuedAccessToken, issueAccessToken } from "./issue-access-token.ts";
import { refreshIssuance, storeRefreshToken } from "./refresh-tokens.ts";

/** The request the tokens answer: the authenticated client and the grant it used. */
export interface IssueRequest {
  client: ClientRecord;
  grantType: string;
  grant: Grant;
}

export async function issue(server: TokenServer, request: IssueRequest, outcome: GrantOutcome): Promise<TokenResponse> {
  const { client } = request;
  const access = await issueAccessToken(server, {
    client,
    sub: outcome.sub,
    audience: outcome.audience,
    scope: outcome.scope,
    ...(outcome.claims ? { claims: outcome.claims } : {}),
  });
  const body: TokenResponse = { access_token: access.token, token_type: "Bearer", expires_in: access.expiresIn };
  if (access.scope.length > 0) body.scope = access.scope.join(" ");
  const revoked = outcome.continues?.revoked ?? outcome.family?.revoked;
  // Nothing to store (client_credentials, most often): no refresh token, no family to join.
  if (outcome.continues || outcome.family || refreshAllowed(client, request.grant))
    try {
      const refreshToken = await refresh(server, request, outcome, access);
      if (refreshToken !== undefined) body.refresh_token = refreshToken;
    } catch (error) {
      if (error instanceof FamilyRevoked && revoked) throw revoked();
      throw error;
    }
  if (outcome.idToken && access.scope.includes("openid"))
    body.id_token = await signIdToken(server, {
      client,
      sub: outcome.sub,
      accessToken: access.token,
      ...outcome.idToken,
    });
  return body;
}

/** The refresh token handed back, if any; records the access token in its family either way. */
async function refresh(
  server: TokenServer,
  { client, grantType, grant }: IssueRequest,
  outcome: GrantOutcome,
  access: IssuedAccessToken,
): Promise<string | undefined> {
  const now = Math.floor(Date.now() / 1000);
  const { continues, family } = outcome;
  if (continues) {
    if (continues.successor === "reuse") {
      await join(server, familyOf(continues.record), [accessTokenMember(access)]);
      return continues.presented;
    }
    const successor: RefreshTokenRecord = {
      ...continues.record,
      issuance: refreshIssuance(client),
      issuedAt: now,
      expiresAt: continues.successor.expiresAt,
    };
    return storeRefreshToken(server, successor, [accessTokenMember(access)]);
  }
  if (!refreshAllowed(client, grant)) {
    if (family) {
      const preset: Family = { id: family.id, clientId: client.clientId, expiresAt: family.expiresAt };
      await join(server, preset, [accessTokenMember(access)]);
    }
    return undefined;
  }
  const record: RefreshTokenRecord = {
    clientId: client.clientId,
    familyId: family?.id ?? newFamilyId(),
    sub: outcome.sub,
    scope: outcome.scope,
    audience: outcome.audience,
    claims: outcome.claims ?? {},
    grantType,
    ...(outcome.identity ? { identity: outcome.identity } : {}),
    issuance: refreshIssuance(client),
    authTime: family?.authTime ?? now,
    issuedAt: now,
    expiresAt: now + client.refreshToken.lifetimeSeconds,
  };
  return storeRefreshToken(server, record, [accessTokenMember(access)]);
}

/** Whether a new refresh token comes with this grant's access token, by the grant's policy and the client's registration. */
export function refreshAllowed(client: ClientRecord, grant: Grant): boolean {
  if (!client.grantTypes.includes("refresh_token")) return false;
  if (grant.refreshToken === "registered") return true;
  if (grant.refreshToken === "registered-for-assertions") return client.refreshToken.forAssertionGrants;
  return false;
}
