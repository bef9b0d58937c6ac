// Refresh tokens (RFC 6749 §6 and §10.4, RFC 9700 §4.14): 256 random bits, stored
// only as their SHA-256 with the grant they continue (state/token-state.ts
// RefreshTokenRecord), bound to the client they were issued to. Every token rotated
// from one grant belongs to a family; the family lists its refresh tokens and the
// access tokens issued from it, so revoking it (reuse of a rotated-out token, RFC 7009
// revocation) takes all of them back: JWTs by listing their jti as revoked, opaque
// access tokens by deleting them.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../context.ts";
import { needState } from "../state/availability.ts";
import type { FamilyMember, RefreshTokenRecord } from "../state/token-state.ts";
import type { IssuedAccessToken } from "./issue-access-token.ts";
import { hashOpaqueToken } from "./opaque-access-token.ts";
import type { UserGrant } from "./token-response.ts";

/** Tells a refresh token from an access token at a glance (and to secret scanners). */
export const REFRESH_PREFIX = "tgrt_";

export function isRefreshTokenShaped(token: string): boolean {
  return token.startsWith(REFRESH_PREFIX);
}

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** Whether this grant may come with a refresh token for this client. */
export function refreshTokenAllowed(client: ClientRecord, grantType: string): boolean {
  if (!client.grantTypes.includes("refresh_token")) return false;
  if (grantType === "password" || grantType === "authorization_code") return true;
  if (grantType.startsWith("urn:ietf:params:oauth:grant-type:")) return client.refreshToken.forAssertionGrants;
  return false;
}

export interface NewGrant extends UserGrant {
  /** The access token issued with it, recorded in the new family. */
  accessToken: IssuedAccessToken;
  /** A family ID chosen before issuance (the authorization code's, so a replayed code can revoke it); default a new one. */
  familyId?: string;
  /** When the user authenticated (authorization code); default now. */
  authTime?: number;
}

/** Starts a new family: the first refresh token of a grant, valid for the client's refresh lifetime. */
export async function issueRefreshToken(server: TokenServer, grant: NewGrant): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const record: RefreshTokenRecord = {
    clientId: grant.client.clientId,
    familyId: grant.familyId ?? randomUUID(),
    sub: grant.sub,
    scope: grant.scope,
    audience: grant.audience,
    claims: grant.claims,
    grantType: grant.grantType,
    authTime: grant.authTime ?? now,
    issuedAt: now,
    expiresAt: now + grant.client.refreshToken.lifetimeSeconds,
  };
  return storeRefreshToken(server, record, [accessTokenMember(grant.accessToken)]);
}

/** A successor in the same family (rotation); `expiresAt` is the original's or a fresh one (rotateAndReset). */
export async function issueSuccessor(
  server: TokenServer,
  previous: RefreshTokenRecord,
  expiresAt: number,
  accessToken: IssuedAccessToken,
): Promise<string> {
  const record: RefreshTokenRecord = { ...previous, issuedAt: Math.floor(Date.now() / 1000), expiresAt };
  return storeRefreshToken(server, record, [accessTokenMember(accessToken)]);
}

/**
 * Records an access token issued from the family. When the family was revoked in the
 * meantime, the access token is taken back at once and false is returned.
 */
export async function recordAccessToken(
  server: TokenServer,
  record: RefreshTokenRecord,
  accessToken: IssuedAccessToken,
): Promise<boolean> {
  const live = await needState("recording an access token in its refresh-token family", () =>
    server.state.addFamilyMembers(record.familyId, [accessTokenMember(accessToken)], familyTtl(record)),
  );
  if (!live) await revokeMembers(server, [accessTokenMember(accessToken)]);
  return live;
}

async function storeRefreshToken(
  server: TokenServer,
  record: RefreshTokenRecord,
  members: FamilyMember[],
): Promise<string> {
  const token = `${REFRESH_PREFIX}${randomBytes(32).toString("base64url")}`;
  const hash = hashRefreshToken(token);
  const ttl = record.expiresAt - Math.floor(Date.now() / 1000);
  await needState("storing a refresh token", async () => {
    await server.state.putRefreshToken(hash, record, ttl);
    const all = [{ id: `rt:${hash}`, expiresAt: record.expiresAt }, ...members];
    const live = await server.state.addFamilyMembers(record.familyId, all, familyTtl(record));
    if (!live) {
      await revokeMembers(server, all);
      throw new FamilyRevoked();
    }
  });
  return token;
}

/** The family was revoked while a token of it was being issued. */
export class FamilyRevoked extends Error {
  override readonly name = "FamilyRevoked";
}

/** Reads a presented refresh token's record; undefined when unknown or expired. */
export async function findRefreshToken(server: TokenServer, token: string): Promise<RefreshTokenRecord | undefined> {
  if (!isRefreshTokenShaped(token)) return undefined;
  const record = await needState("reading a refresh token", () =>
    server.state.getRefreshToken(hashRefreshToken(token)),
  );
  if (!record || record.expiresAt <= Math.floor(Date.now() / 1000)) return undefined;
  return record;
}

/** The namespace of the marker useOnce leaves on a refresh token once it is rotated out. */
export const ROTATED_OUT = "refresh-rotated";

/**
 * Why the grant behind a stored refresh token is over, by the registry: the client
 * deleted after the grant (or deleted and re-created), or a revokeTokensIssuedBefore
 * later than it. Undefined while it lives. Disabled and unknown clients are for the caller.
 */
export function grantEnded(server: TokenServer, record: RefreshTokenRecord): string | undefined {
  const deletedAt = server.clients.tombstone(record.clientId);
  if (deletedAt !== undefined && deletedAt >= record.authTime) return "the client was deleted after this grant";
  const client = server.clients.get(record.clientId);
  if (client?.revokeTokensIssuedBefore !== undefined && record.authTime < client.revokeTokensIssuedBefore)
    return "grant older than the client's revokeTokensIssuedBefore";
  return undefined;
}

export type RefreshLiveness = { active: true; record: RefreshTokenRecord } | { active: false; reason: string };

/**
 * Whether a presented refresh token would still be honoured (RFC 7662 introspection):
 * stored and unexpired, its client known and enabled, its grant not ended, its family
 * not revoked, and not rotated out.
 */
export async function refreshTokenLiveness(server: TokenServer, token: string): Promise<RefreshLiveness> {
  const record = await findRefreshToken(server, token);
  if (!record) return { active: false, reason: "unknown or expired refresh token" };
  const client = server.clients.get(record.clientId);
  const ended = grantEnded(server, record);
  if (ended) return { active: false, reason: ended };
  if (!client) return { active: false, reason: "client unknown" };
  if (client.disabled) return { active: false, reason: "client disabled" };
  const [familyRevoked, rotatedOut] = await needState("checking a refresh token", () =>
    Promise.all([
      server.state.isFamilyRevoked(record.familyId),
      server.state.isUsed(ROTATED_OUT, hashRefreshToken(token)),
    ]),
  );
  if (familyRevoked) return { active: false, reason: "refresh-token family revoked" };
  if (rotatedOut) return { active: false, reason: "refresh token rotated out" };
  return { active: true, record };
}

/**
 * Revokes a whole family: marks it revoked (so a token issued concurrently is refused at
 * use), deletes its refresh tokens, lists its JWT access tokens' jti as revoked and
 * deletes its opaque access tokens.
 */
export async function revokeFamily(server: TokenServer, record: RefreshTokenRecord, reason: string): Promise<void> {
  const members = await needState("revoking a refresh-token family", () =>
    server.state.revokeFamily(record.familyId, familyTtl(record)),
  );
  await revokeMembers(server, members);
  server.log.info("refresh-token family revoked", {
    client_id: record.clientId,
    family: record.familyId,
    reason,
    members: members.length,
  });
}

async function revokeMembers(server: TokenServer, members: FamilyMember[]): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  await needState("revoking a refresh-token family's tokens", () =>
    Promise.all(
      members.map(async ({ id: member, expiresAt }) => {
        const colon = member.indexOf(":");
        const [kind, id] = [member.slice(0, colon), member.slice(colon + 1)];
        if (kind === "rt") await server.state.deleteRefreshToken(id);
        else if (kind === "opaque") await server.state.deleteOpaqueToken(id);
        else if (kind === "jwt" && expiresAt > now) await server.state.revokeJti(id, expiresAt - now);
      }),
    ),
  );
}

function accessTokenMember(issued: IssuedAccessToken): FamilyMember {
  return {
    id: issued.format === "opaque" ? `opaque:${hashOpaqueToken(issued.token)}` : `jwt:${issued.jti}`,
    expiresAt: issued.exp,
  };
}

/** A family's records must outlive its longest-lived member: its refresh tokens and the access tokens they bring. */
function familyTtl(record: RefreshTokenRecord): number {
  const now = Math.floor(Date.now() / 1000);
  return Math.max(1, record.expiresAt - now) + 24 * 3600;
}
