// Refresh-token families (RFC 6749 §10.5, RFC 9700 §4.14.2): every token issued from
// one grant (its refresh tokens, rotated or not, and the access tokens they brought)
// belongs to one family, so revoking the family (reuse of a rotated-out refresh token,
// a replayed authorization code, RFC 7009 revocation) takes all of them back: refresh
// tokens by deleting them, JWT access tokens by listing their jti as revoked, opaque
// access tokens by deleting them. A family is its ID, its client, and how long its
// records must last.
import { randomUUID } from "node:crypto";
import type { TokenServer } from "../request-context.ts";
import type { FamilyMember, RefreshTokenRecord } from "../state/token-records.ts";
import type { IssuedAccessToken } from "./issue-access-token.ts";
import { hashOpaqueToken } from "./opaque-access-token.ts";

export interface Family {
  id: string;
  clientId: string;
  /** Epoch seconds when its longest-lived refresh token ends; its records outlive that by a day. */
  expiresAt: number;
}

export function newFamilyId(): string {
  return randomUUID();
}

/** The family a stored refresh token belongs to. */
export function familyOf(record: RefreshTokenRecord): Family {
  return { id: record.familyId, clientId: record.clientId, expiresAt: record.expiresAt };
}

/** The family was revoked while a token of it was being issued; what was issued is taken back already. */
export class FamilyRevoked extends Error {
  override readonly name = "FamilyRevoked";
}

export function accessTokenMember(issued: IssuedAccessToken): FamilyMember {
  return {
    id: issued.format === "opaque" ? `opaque:${hashOpaqueToken(issued.token)}` : `jwt:${issued.jti}`,
    expiresAt: issued.exp,
  };
}

export function refreshTokenMember(hash: string, expiresAt: number): FamilyMember {
  return { id: `rt:${hash}`, expiresAt };
}

/**
 * Adds tokens just issued to the family. When the family was revoked in the meantime
 * (a replay won the race), they are taken back at once and FamilyRevoked is thrown.
 */
export async function join(server: TokenServer, family: Family, members: FamilyMember[]): Promise<void> {
  const live = await server.state.refresh.addFamilyMembers(family.id, members, recordTtl(family));
  if (live) return;
  await takeBack(server, members);
  throw new FamilyRevoked();
}

export function isRevoked(server: TokenServer, family: Family): Promise<boolean> {
  return server.state.refresh.isFamilyRevoked(family.id);
}

/**
 * Revokes the family: marks it revoked (so a token issued concurrently is refused at
 * use) and takes back every member that has not expired.
 */
export async function revokeFamily(server: TokenServer, family: Family, reason: string): Promise<void> {
  const members = await server.state.refresh.revokeFamily(family.id, recordTtl(family));
  await takeBack(server, members);
  server.log.info("refresh-token family revoked", {
    client_id: family.clientId,
    family: family.id,
    reason,
    members: members.length,
  });
}

async function takeBack(server: TokenServer, members: FamilyMember[]): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  await Promise.all(
    members.map(async ({ id: member, expiresAt }) => {
      const colon = member.indexOf(":");
      const [kind, id] = [member.slice(0, colon), member.slice(colon + 1)];
      if (kind === "rt") await server.state.refresh.delete(id);
      else if (kind === "opaque") await server.state.opaque.delete(id);
      else if (kind === "jwt" && expiresAt > now) await server.state.revocations.revoke(id, expiresAt - now);
    }),
  );
}

/** A family's records must outlive its longest-lived member: its refresh tokens and the access tokens they bring. */
function recordTtl(family: Family): number {
  const now = Math.floor(Date.now() / 1000);
  return Math.max(1, family.expiresAt - now) + 24 * 3600;
}
