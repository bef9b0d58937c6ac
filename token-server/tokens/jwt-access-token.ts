// RFC 9068 JWT access tokens: header typ "at+jwt" and the current key's kid; claims
// iss, sub, aud, client_id, scope, jti, iat, exp. Nothing is stored: the jti is random
// and only enters the token state if the token is revoked.
//
// jose's CompactSign takes the claims as bytes: the claims here are built by this
// server (never from input), so SignJWT's copying and re-validation of them would only
// cost time on the hottest path.
import { CompactSign } from "jose";
import type { KeyRing } from "../key-ring.ts";
import type { AccessTokenClaims } from "../state/token-records.ts";

export const ACCESS_TOKEN_TYP = "at+jwt";
const encoder = new TextEncoder();

export async function signJwtAccessToken(keys: KeyRing, claims: AccessTokenClaims): Promise<string> {
  const key = keys.current;
  if (!key) throw new Error("no signing key loaded");
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
    .sign(key.privateKey);
}
