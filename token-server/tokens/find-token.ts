// Reads a presented token back into its claims: a JWT this server signed (verified
// with its own keys, any of current, next or previous), or an opaque token from the
// token state. Anything else is not a token of this server (undefined).
import { decodeProtectedHeader, jwtVerify } from "jose";
import type { TokenServer } from "../context.ts";
import { needState } from "../state/availability.ts";
import type { AccessTokenClaims } from "../state/token-state.ts";
import { ACCESS_TOKEN_TYP } from "./jwt-access-token.ts";
import { hashOpaqueToken, OPAQUE_PREFIX } from "./opaque-access-token.ts";

export interface FoundToken {
  format: "jwt" | "opaque";
  claims: AccessTokenClaims;
}

export async function findToken(server: TokenServer, token: string): Promise<FoundToken | undefined> {
  if (token.startsWith(OPAQUE_PREFIX)) {
    const hash = hashOpaqueToken(token);
    const claims = await needState("reading an opaque token", () => server.state.getOpaqueToken(hash));
    return claims && { format: "opaque", claims };
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
    return { format: "jwt", claims: payload as unknown as AccessTokenClaims };
  } catch {
    // Bad signature, expired, malformed: not a live token of this server.
    return undefined;
  }
}
