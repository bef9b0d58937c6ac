import { randomUUID } from "node:crypto";
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../request-context.ts";
import { type AccessTokenClaims, NAMESPACE_CLAIM } from "../state/token-records.ts";
import { signJwtAccessToken } from "./jwt-access-token.ts";
import { issueOpaqueAccessToken } from "./opaque-access-token.ts";

export interface AccessTokenRequest {
  client: ClientRecord;
  sub: string;
  audience: string[];
  scope: string[];
  /**
   * Extra claims (identity mapping's claimMappings). They never replace a claim this
   * server sets (iss, sub, aud, client_id, scope, jti, iat, exp, tollgate.dev/namespace).
   */
  claims?: Record<string, unknown>;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
  scope: string[];
  jti: string;
  exp: number;
  format: "jwt" | "opaque";
}

/** Issues an access token in the client's registered format (RFC 9068 JWT or opaque). */
export async function issueAccessToken(server: TokenServer, request: AccessTokenRequest): Promise<IssuedAccessToken> {
  const { client } = request;
  const iat = Math.floor(Date.now() / 1000);
  const lifetime = client.accessToken.lifetimeSeconds;
  const claims: AccessTokenClaims = {
    ...request.claims,
    iss: server.settings.issuer,
    sub: request.sub,
    aud: request.audience.length === 1 ? (request.audience[0] as string) : request.audience,
    client_id: client.clientId,
    jti: randomUUID(),
    iat,
    exp: iat + lifetime,
  };
  // Set after the mapped claims, so an assertion cannot claim another namespace.
  if (client.namespace) claims[NAMESPACE_CLAIM] = client.namespace;
  else delete claims[NAMESPACE_CLAIM];
  if (request.scope.length > 0) claims.scope = request.scope.join(" ");
  else delete claims.scope;
  const token =
    client.accessToken.format === "opaque"
      ? await issueOpaqueAccessToken(server.state, claims)
      : await signJwtAccessToken(server.keys, claims);
  return {
    token,
    expiresIn: lifetime,
    scope: request.scope,
    jti: claims.jti,
    exp: claims.exp,
    format: client.accessToken.format,
  };
}
