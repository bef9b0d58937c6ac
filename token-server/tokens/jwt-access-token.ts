// RFC 9068 JWT access tokens: header typ "at+jwt" and the current key's kid; claims
// iss, sub, aud, client_id, scope, jti, iat, exp. Nothing is stored: the jti is random
// and only enters the token state if the token is revoked.
//
// The claims are built by this server (never from input), so they are serialised as they
// are, and compact-signer.ts signs them without copying or re-validating them.
import type { KeyRing } from "../key-ring.ts";
import type { AccessTokenClaims } from "../state/token-records.ts";
import { CompactSigner } from "./compact-signer.ts";

export const ACCESS_TOKEN_TYP = "at+jwt";
const signer = new CompactSigner(ACCESS_TOKEN_TYP);

export async function signJwtAccessToken(keys: KeyRing, claims: AccessTokenClaims): Promise<string> {
  const key = keys.current;
  if (!key) throw new Error("no signing key loaded");
  return signer.sign(key, JSON.stringify(claims));
}
