// Refresh tokens (RFC 6749 §6 and §10.4, RFC 9700 §4.14): 256 random bits, stored
// only as their SHA-256 with the grant they continue (state/token-state.ts
// RefreshTokenRecord), bound to the client they were issued to, and a member of their
// grant's family (family.ts).
import { createHash, randomBytes } from "node:crypto";
import type { RefreshIssuance } from "../../api/v1alpha1/oauthclient.ts";
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../request-context.ts";
import type { FamilyMember, RefreshTokenRecord } from "../state/token-records.ts";
import { familyOf, join, refreshTokenMember } from "./family.ts";

/** Tells a refresh token from an access token at a glance (and to secret scanners). */
export const REFRESH_PREFIX = "tgrt_";

/** The namespace of the marker a refresh token gets once it is rotated out (single use under rotation). */
export const ROTATED_OUT = "refresh-rotated";

/** The issuance a refresh follows: the registered one, except that a public client always rotates (RFC 9700 §4.14.2). */
export function refreshIssuance(client: ClientRecord): RefreshIssuance {
  const registered = client.refreshToken.issuance;
  return registered === "reuse" && client.clientType === "public" ? "rotate" : registered;
}

export function isRefreshTokenShaped(token: string): boolean {
  return token.startsWith(REFRESH_PREFIX);
}

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/**
 * Stores a new refresh token for `record` and adds it, with `members` (the access
 * token issued beside it), to the record's family. Throws FamilyRevoked, having taken
 * back all of them, when the family was revoked meanwhile.
 */
export async function storeRefreshToken(
  server: TokenServer,
  record: RefreshTokenRecord,
  members: FamilyMember[],
): Promise<string> {
  const token = `${REFRESH_PREFIX}${randomBytes(32).toString("base64url")}`;
  const hash = hashRefreshToken(token);
  const ttl = record.expiresAt - Math.floor(Date.now() / 1000);
  await server.state.refresh.put(hash, record, ttl);
  await join(server, familyOf(record), [refreshTokenMember(hash, record.expiresAt), ...members]);
  return token;
}

/** The stored record of a presented refresh token, whether or not it is still alive (liveness.ts decides). */
export async function readRefreshToken(server: TokenServer, token: string): Promise<RefreshTokenRecord | undefined> {
  return server.state.refresh.get(hashRefreshToken(token));
}
