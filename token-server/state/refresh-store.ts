// Refresh-token records (by the SHA-256 of the token) and their families: a sorted set
// of members scored by expiry, and a revoked marker.
import { JsonRecords } from "./json-records.ts";
import { stateKeys } from "./state-keys.ts";
import type { Store } from "./store.ts";
import type { FamilyMember, RefreshTokenRecord } from "./token-records.ts";

export class RefreshStore extends JsonRecords<RefreshTokenRecord> {
  readonly #store: Store;

  constructor(store: Store) {
    super(store, stateKeys.refreshToken);
    this.#store = store;
  }

  /**
   * Adds members to a family, drops those that have expired, and keeps the family for
   * at least `ttlSeconds`. False when the family is revoked already, so the caller can
   * take back what it just issued.
   */
  async addFamilyMembers(familyId: string, members: FamilyMember[], ttlSeconds: number): Promise<boolean> {
    const revoked = await this.#store.sortedSetAdd(
      stateKeys.familyMembers(familyId),
      members.map(({ id, expiresAt }) => ({ member: id, score: expiresAt })),
      ttlSeconds,
      { dropAtOrBelow: Math.floor(Date.now() / 1000), guardKey: stateKeys.familyRevoked(familyId) },
    );
    return !revoked;
  }

  /**
   * Marks the family revoked for `ttlSeconds`, then returns every member that has not
   * expired. In that order: a member added meanwhile either is listed here or sees the
   * mark (addFamilyMembers checks it in the same step as it adds).
   */
  async revokeFamily(familyId: string, ttlSeconds: number): Promise<FamilyMember[]> {
    await this.#store.set(stateKeys.familyRevoked(familyId), "1", ttlSeconds);
    const now = Math.floor(Date.now() / 1000);
    // Two reads, not one step: the legacy set is never written any more, so nothing can join it meanwhile.
    const [members, legacy] = await Promise.all([
      this.#store.sortedSetRange(stateKeys.familyMembers(familyId), now),
      this.#store.sortedSetRange(stateKeys.legacyFamilyMembers(familyId), now),
    ]);
    return [...members, ...legacy].map(({ member, score }) => ({ id: member, expiresAt: score }));
  }

  isFamilyRevoked(familyId: string): Promise<boolean> {
    return this.#store.exists(stateKeys.familyRevoked(familyId));
  }
}
