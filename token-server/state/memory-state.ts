// Token state in process memory: the standalone default, and the local fallback for
// failure counting while Redis is down. Expired entries are dropped on read and by a
// periodic sweep so memory stays bounded by what is alive.
import type {
  AccessTokenClaims,
  AuthorizationCodeRecord,
  FailureCount,
  FamilyMember,
  InteractionRecordKind,
  RefreshTokenRecord,
  TakenAuthorizationCode,
  TokenState,
} from "./token-state.ts";

interface Entry {
  value: unknown;
  expiresAt: number;
}

export class MemoryTokenState implements TokenState {
  readonly available = true;
  readonly #entries = new Map<string, Entry>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(sweepIntervalMs = 30_000) {
    this.#sweeper = setInterval(() => this.#sweep(), sweepIntervalMs);
    this.#sweeper.unref();
  }

  async useOnce(namespace: string, id: string, ttlSeconds: number): Promise<boolean> {
    const key = `used:${namespace}:${id}`;
    if (this.#read(key) !== undefined) return false;
    this.#write(key, true, ttlSeconds);
    return true;
  }

  async isUsed(namespace: string, id: string): Promise<boolean> {
    return this.#read(`used:${namespace}:${id}`) !== undefined;
  }

  async revokeJti(jti: string, ttlSeconds: number): Promise<void> {
    this.#write(`revoked:${jti}`, true, ttlSeconds);
  }

  async isJtiRevoked(jti: string): Promise<boolean> {
    return this.#read(`revoked:${jti}`) !== undefined;
  }

  async putOpaqueToken(hash: string, claims: AccessTokenClaims, ttlSeconds: number): Promise<void> {
    this.#write(`opaque:${hash}`, structuredClone(claims), ttlSeconds);
  }

  async getOpaqueToken(hash: string): Promise<AccessTokenClaims | undefined> {
    const claims = this.#read(`opaque:${hash}`) as AccessTokenClaims | undefined;
    return claims && structuredClone(claims);
  }

  async deleteOpaqueToken(hash: string): Promise<void> {
    this.#entries.delete(`opaque:${hash}`);
  }

  async putRefreshToken(hash: string, record: RefreshTokenRecord, ttlSeconds: number): Promise<void> {
    this.#write(`refresh:${hash}`, structuredClone(record), ttlSeconds);
  }

  async getRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    const record = this.#read(`refresh:${hash}`) as RefreshTokenRecord | undefined;
    return record && structuredClone(record);
  }

  async deleteRefreshToken(hash: string): Promise<void> {
    this.#entries.delete(`refresh:${hash}`);
  }

  async addFamilyMembers(familyId: string, members: FamilyMember[], ttlSeconds: number): Promise<boolean> {
    const key = `family:${familyId}:members`;
    const now = Date.now();
    const expiresAt = now + Math.max(1, ttlSeconds) * 1000;
    let entry = this.#entries.get(key);
    if (!entry || entry.expiresAt <= now) {
      entry = { value: new Map<string, number>(), expiresAt };
      this.#entries.set(key, entry);
    }
    const set = entry.value as Map<string, number>;
    for (const [id, until] of set) if (until * 1000 <= now) set.delete(id);
    for (const member of members) set.set(member.id, member.expiresAt);
    entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
    return this.#read(`family:${familyId}:revoked`) === undefined;
  }

  async revokeFamily(familyId: string, ttlSeconds: number): Promise<FamilyMember[]> {
    this.#write(`family:${familyId}:revoked`, true, ttlSeconds);
    const set = this.#read(`family:${familyId}:members`) as Map<string, number> | undefined;
    const now = Date.now();
    return [...(set ?? [])].filter(([, until]) => until * 1000 > now).map(([id, expiresAt]) => ({ id, expiresAt }));
  }

  async isFamilyRevoked(familyId: string): Promise<boolean> {
    return this.#read(`family:${familyId}:revoked`) !== undefined;
  }

  async putAuthorizationCode(hash: string, record: AuthorizationCodeRecord, ttlSeconds: number): Promise<void> {
    this.#write(`code:${hash}`, structuredClone(record), ttlSeconds);
  }

  async takeAuthorizationCode(hash: string, spentTtlSeconds: number): Promise<TakenAuthorizationCode | undefined> {
    const fresh = this.#read(`code:${hash}`) as AuthorizationCodeRecord | undefined;
    if (fresh) {
      this.#entries.delete(`code:${hash}`);
      this.#write(`code:${hash}:spent`, fresh, spentTtlSeconds);
      return { firstUse: true, record: structuredClone(fresh) };
    }
    const spent = this.#read(`code:${hash}:spent`) as AuthorizationCodeRecord | undefined;
    return spent && { firstUse: false, record: structuredClone(spent) };
  }

  async putInteractionRecord(
    kind: InteractionRecordKind,
    id: string,
    value: object,
    ttlSeconds: number,
  ): Promise<void> {
    this.#write(`${kind}:${id}`, structuredClone(value), ttlSeconds);
  }

  async getInteractionRecord<T extends object>(kind: InteractionRecordKind, id: string): Promise<T | undefined> {
    const value = this.#read(`${kind}:${id}`) as T | undefined;
    return value && structuredClone(value);
  }

  async deleteInteractionRecord(kind: InteractionRecordKind, id: string): Promise<void> {
    this.#entries.delete(`${kind}:${id}`);
  }

  async countFailure(clientId: string, windowSeconds: number): Promise<FailureCount> {
    return this.countFailureNow(clientId, windowSeconds);
  }

  /** Synchronous form, for the Redis store's local fallback. */
  countFailureNow(clientId: string, windowSeconds: number): FailureCount {
    const key = `authfail:${clientId}`;
    const entry = this.#entries.get(key);
    const now = Date.now();
    if (entry && entry.expiresAt > now) {
      entry.value = (entry.value as number) + 1;
      return { count: entry.value as number, resetInSeconds: Math.ceil((entry.expiresAt - now) / 1000) };
    }
    this.#write(key, 1, windowSeconds);
    return { count: 1, resetInSeconds: windowSeconds };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
  }

  #read(key: string): unknown {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #write(key: string, value: unknown, ttlSeconds: number): void {
    this.#entries.set(key, { value, expiresAt: Date.now() + Math.max(1, ttlSeconds) * 1000 });
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
