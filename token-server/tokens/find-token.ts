// Reads a presented token back into what this server knows of it: an access token (a
// JWT this server signed, verified with any of its current, next or previous keys, or
// an opaque token from the token state) or a refresh token (its stored record).
// Anything else is not a token of this server (undefined). Whether a found token is
// still alive is liveness.ts's question.
import { decodeProtectedHeader, jwtVerify } from "jose";
import type { TokenServer } from "../request-context.ts";
import type { AccessTokenClaims, RefreshTokenRecord } from "../state/token-records.ts";
import { ACCESS_TOKEN_TYP } from "./jwt-access-token.ts";
import { hashOpaqueToken, OPAQUE_PREFIX } from "./opaque-access-token.ts";
import { isRefreshTokenShaped, readRefreshToken } from "./refresh-tokens.ts";

export interface FoundAccessToken {
  kind: "access";
  format: "jwt" | "opaque";
  claims: AccessTokenClaims;
}

export interface FoundRefreshToken {
  kind: "refresh";
  record: RefreshTokenRecord;
}

export type FoundToken = FoundAccessToken | FoundRefreshToken;

export async function findToken(server: TokenServer, token: string): Promise<FoundToken | undefined> {
  if (isRefreshTokenShaped(token)) {
    const record = await readRefreshToken(server, token);
    return record && { kind: "refresh", record };
  }
  if (token.startsWith(OPAQUE_PREFIX)) {
    const hash = hashOpaqueToken(token);
    const claims = await server.state.opaque.get(hash);
    return claims && { kind: "access", format: "opaque", claims };
  }
  if (token.split(".").length !== 3) return undefined;
  try {
    const { kid } = decodeProtectedHeader(token);
    const key = kid === undefined ? undefined : server.keys.verificationKey(kid);
    if (!key) return undefined;
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: server.settings.issuer,
      typ: ACCESS_TOKEN_TYP,
      algorithms: [key.alg],
      requiredClaims: ["jti", "iat", "exp", "client_id", "sub"],
    });
    return { kind: "access", format: "jwt", claims: payload as unknown as AccessTokenClaims };
  } catch {
    // Bad signature, expired, malformed: not a live token of this server.
    return undefined;
  }
}

/** The client a found token was issued to. */
export function ownerOf(found: FoundToken): string {
  return found.kind === "refresh" ? found.record.clientId : found.claims.client_id;
}
