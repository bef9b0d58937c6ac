// The success response of a grant that acts for a person (password, JWT and SAML
// bearer; later authorization_code): an access token, plus a refresh token where the
// client's registration and the grant allow one (refresh-tokens.ts refreshTokenAllowed).
import type { ClientRecord } from "../../registry/record.ts";
import type { Ctx } from "../context.ts";
import type { TokenResponse } from "../grants/grant.ts";
import { issueAccessToken } from "./issue-access-token.ts";
import { issueRefreshToken, refreshTokenAllowed } from "./refresh-tokens.ts";

export interface UserGrant {
  client: ClientRecord;
  grantType: string;
  sub: string;
  scope: string[];
  audience: string[];
  claims: Record<string, unknown>;
}

export async function respondWithTokens(ctx: Ctx, grant: UserGrant): Promise<void> {
  const { server } = ctx.state;
  const issued = await issueAccessToken(server, {
    client: grant.client,
    sub: grant.sub,
    audience: grant.audience,
    scope: grant.scope,
    claims: grant.claims,
  });
  const body: TokenResponse = { access_token: issued.token, token_type: "Bearer", expires_in: issued.expiresIn };
  if (issued.scope.length > 0) body.scope = issued.scope.join(" ");
  if (refreshTokenAllowed(grant.client, grant.grantType))
    body.refresh_token = await issueRefreshToken(server, { ...grant, accessToken: issued });
  ctx.body = body;
}
