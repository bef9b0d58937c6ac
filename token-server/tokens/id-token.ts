// OpenID Connect ID tokens (Core §2, §3.1.3.6): issued beside the access token when
// the granted scope has `openid`, by the authorization code grant and by a refresh of
// a grant that began with one (§12.2: same sub and auth_time, no nonce). Signed with
// the same key ring as access tokens, header `typ: JWT` (an ID token is not an at+jwt,
// so one can never pass for the other: find-token.ts requires at+jwt).
//
// The ID token says who signed in, and when; the profile, email and groups claims the
// scope releases are served by the userinfo endpoint (Core §5.4 returns them there when
// an access token is issued, which is always the case here), so an ID token stays small
// and carries nothing the client did not need to log the user in.
import { createHash } from "node:crypto";
import { compactVerify, decodeProtectedHeader, type JWTPayload, SignJWT } from "jose";
import type { ClientRecord } from "../../registry/record.ts";
import type { SigningAlgorithm } from "../../registry/signing-key-format.ts";
import type { TokenServer } from "../request-context.ts";

export const ID_TOKEN_TYP = "JWT";

export interface IdTokenRequest {
  client: ClientRecord;
  sub: string;
  /** When the user signed in (epoch seconds), as the session recorded it. */
  authTime: number;
  /** The authorization request's nonce, echoed as sent (absent on refresh). */
  nonce?: string;
  /** The access token issued with it, for `at_hash`. */
  accessToken: string;
}

export async function signIdToken(server: TokenServer, request: IdTokenRequest): Promise<string> {
  const key = server.keys.current;
  if (!key) throw new Error("no signing key loaded");
  const iat = Math.floor(Date.now() / 1000);
  const { client } = request;
  const claims: JWTPayload = {
    auth_time: request.authTime,
    azp: client.clientId,
    at_hash: atHash(request.accessToken, key.alg),
  };
  if (request.nonce !== undefined) claims.nonce = request.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ID_TOKEN_TYP })
    .setIssuer(server.settings.issuer)
    .setSubject(request.sub)
    .setAudience(client.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + client.accessToken.lifetimeSeconds)
    .sign(key.privateKey);
}

/**
 * Core §3.1.3.6: the left half of the access token's hash, with the hash of the ID
 * token's `alg` (SHA-256 for ES256, RS256, PS256; SHA-512 for EdDSA on Ed25519, as the
 * OpenID Foundation's clarification and the libraries that check it use).
 */
export function atHash(accessToken: string, alg: SigningAlgorithm): string {
  const digest = createHash(alg === "EdDSA" ? "sha512" : "sha256")
    .update(accessToken, "ascii")
    .digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

/**
 * An ID token this server issued, as `id_token_hint` presents it (RP-Initiated Logout
 * §2): the signature and issuer verified with any published key, and its expiry
 * ignored, since the hint is often an old one. Undefined when it is not ours.
 */
export async function readIdTokenHint(
  server: TokenServer,
  token: string,
): Promise<{ sub: string; clientId: string } | undefined> {
  try {
    const { kid } = decodeProtectedHeader(token);
    const key = kid === undefined ? undefined : server.keys.verificationKey(kid);
    if (!key) return undefined;
    // compactVerify checks the signature only: exp is deliberately not checked.
    const { payload, protectedHeader } = await compactVerify(token, key.publicKey, { algorithms: [key.alg] });
    if (protectedHeader.typ !== ID_TOKEN_TYP) return undefined;
    const claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
    const clientId = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
    if (claims.iss !== server.settings.issuer || typeof claims.sub !== "string" || typeof clientId !== "string")
      return undefined;
    return { sub: claims.sub, clientId };
  } catch {
    return undefined;
  }
}
