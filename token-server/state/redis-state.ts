// Token state in Redis. Commands fail fast while the connection is down (no offline
// queue) and time out after `commandTimeoutMs`, so a request never hangs on Redis:
// it gets StateUnavailable, which state/availability.ts turns into a 503.
import { createClient, type RedisClientType } from "redis";
import { StateUnavailable } from "./availability.ts";
import { stateKeys } from "./keys.ts";
import { MemoryTokenState } from "./memory-state.ts";
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

/** KEYS[1] the code, KEYS[2] its spent copy; ARGV[1] the spent copy's TTL. One step, so two takes never both win. */
const TAKE_CODE = `
local code = redis.call('GETDEL', KEYS[1])
if code then
  redis.call('SET', KEYS[2], code, 'EX', ARGV[1])
  return {'first', code}
end
local spent = redis.call('GET', KEYS[2])
if spent then return {'again', spent} end
return false`;

export interface RedisTokenStateOptions {
  url: string;
  /** Default 1000 ms. */
  commandTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export class RedisTokenState implements TokenState {
  readonly #client: RedisClientType;
  readonly #timeoutMs: number;
  /** Failure counts while Redis is down, so brute force is still slowed per process. */
  readonly #localFailures = new MemoryTokenState();

  private constructor(client: RedisClientType, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  /** Resolves at once; the connection is made (and remade) in the background. */
  static start(options: RedisTokenStateOptions): RedisTokenState {
    const client: RedisClientType = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
    });
    client.on("error", (error: Error) => options.onError?.(error));
    const state = new RedisTokenState(client, options.commandTimeoutMs ?? 1000);
    client.connect().catch((error: Error) => options.onError?.(error));
    return state;
  }

  get available(): boolean {
    return this.#client.isReady;
  }

  async useOnce(namespace: string, id: string, ttlSeconds: number): Promise<boolean> {
    const set = await this.#run(() =>
      this.#client.set(stateKeys.used(namespace, id), "1", { condition: "NX", expiration: ttl(ttlSeconds) }),
    );
    return set === "OK";
  }

  async isUsed(namespace: string, id: string): Promise<boolean> {
    return (await this.#run(() => this.#client.exists(stateKeys.used(namespace, id)))) === 1;
  }

  async revokeJti(jti: string, ttlSeconds: number): Promise<void> {
    await this.#run(() => this.#client.set(stateKeys.revokedJti(jti), "1", { expiration: ttl(ttlSeconds) }));
  }

  async isJtiRevoked(jti: string): Promise<boolean> {
    return (await this.#run(() => this.#client.exists(stateKeys.revokedJti(jti)))) === 1;
  }

  async putOpaqueToken(hash: string, claims: AccessTokenClaims, ttlSeconds: number): Promise<void> {
    await this.#run(() =>
      this.#client.set(stateKeys.opaqueToken(hash), JSON.stringify(claims), { expiration: ttl(ttlSeconds) }),
    );
  }

  async getOpaqueToken(hash: string): Promise<AccessTokenClaims | undefined> {
    const raw = await this.#run(() => this.#client.get(stateKeys.opaqueToken(hash)));
    return raw == null ? undefined : (JSON.parse(raw) as AccessTokenClaims);
  }

  async deleteOpaqueToken(hash: string): Promise<void> {
    await this.#run(() => this.#client.del(stateKeys.opaqueToken(hash)));
  }

  async putRefreshToken(hash: string, record: RefreshTokenRecord, ttlSeconds: number): Promise<void> {
    await this.#run(() =>
      this.#client.set(stateKeys.refreshToken(hash), JSON.stringify(record), { expiration: ttl(ttlSeconds) }),
    );
  }

  async getRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    const raw = await this.#run(() => this.#client.get(stateKeys.refreshToken(hash)));
    return raw == null ? undefined : (JSON.parse(raw) as RefreshTokenRecord);
  }

  async deleteRefreshToken(hash: string): Promise<void> {
    await this.#run(() => this.#client.del(stateKeys.refreshToken(hash)));
  }

  async addFamilyMembers(familyId: string, members: FamilyMember[], ttlSeconds: number): Promise<boolean> {
    const key = stateKeys.familyMembers(familyId);
    const now = Math.floor(Date.now() / 1000);
    // GT: a family's life only grows (rotateAndReset extends it); NX: a new key gets it as is.
    const replies = await this.#run(() =>
      this.#client
        .multi()
        .zRemRangeByScore(key, "-inf", now)
        .zAdd(
          key,
          members.map((member) => ({ score: member.expiresAt, value: member.id })),
        )
        .expire(key, ttl(ttlSeconds).value, "GT")
        .expire(key, ttl(ttlSeconds).value, "NX")
        .exists(stateKeys.familyRevoked(familyId))
        .exec(),
    );
    return Number(replies[4]) === 0;
  }

  async revokeFamily(familyId: string, ttlSeconds: number): Promise<FamilyMember[]> {
    const now = Math.floor(Date.now() / 1000);
    const replies = await this.#run(() =>
      this.#client
        .multi()
        .set(stateKeys.familyRevoked(familyId), "1", { expiration: ttl(ttlSeconds) })
        .zRangeByScoreWithScores(stateKeys.familyMembers(familyId), `(${now}`, "+inf")
        .exec(),
    );
    const members = (replies[1] as unknown as { value: string; score: number }[] | null) ?? [];
    return members.map(({ value, score }) => ({ id: value, expiresAt: score }));
  }

  async isFamilyRevoked(familyId: string): Promise<boolean> {
    return (await this.#run(() => this.#client.exists(stateKeys.familyRevoked(familyId)))) === 1;
  }

  async putAuthorizationCode(hash: string, record: AuthorizationCodeRecord, ttlSeconds: number): Promise<void> {
    await this.#run(() =>
      this.#client.set(stateKeys.authorizationCode(hash), JSON.stringify(record), { expiration: ttl(ttlSeconds) }),
    );
  }

  async takeAuthorizationCode(hash: string, spentTtlSeconds: number): Promise<TakenAuthorizationCode | undefined> {
    const reply = await this.#run(() =>
      this.#client.eval(TAKE_CODE, {
        keys: [stateKeys.authorizationCode(hash), stateKeys.authorizationCodeSpent(hash)],
        arguments: [String(ttl(spentTtlSeconds).value)],
      }),
    );
    if (!Array.isArray(reply)) return undefined;
    const [which, raw] = reply as [string, string];
    return { firstUse: which === "first", record: JSON.parse(raw) as AuthorizationCodeRecord };
  }

  async putInteractionRecord(
    kind: InteractionRecordKind,
    id: string,
    value: object,
    ttlSeconds: number,
  ): Promise<void> {
    await this.#run(() =>
      this.#client.set(stateKeys.interactionRecord(kind, id), JSON.stringify(value), { expiration: ttl(ttlSeconds) }),
    );
  }

  async getInteractionRecord<T extends object>(kind: InteractionRecordKind, id: string): Promise<T | undefined> {
    const raw = await this.#run(() => this.#client.get(stateKeys.interactionRecord(kind, id)));
    return raw == null ? undefined : (JSON.parse(raw) as T);
  }

  async deleteInteractionRecord(kind: InteractionRecordKind, id: string): Promise<void> {
    await this.#run(() => this.#client.del(stateKeys.interactionRecord(kind, id)));
  }

  async countFailure(clientId: string, windowSeconds: number): Promise<FailureCount> {
    if (!this.available) return this.#localFailures.countFailureNow(clientId, windowSeconds);
    try {
      const key = stateKeys.authFailures(clientId);
      const [count, , remainingMs] = await this.#run(() =>
        this.#client.multi().incr(key).expire(key, windowSeconds, "NX").pTTL(key).exec(),
      );
      return { count: Number(count), resetInSeconds: Math.max(1, Math.ceil(Number(remainingMs) / 1000)) };
    } catch {
      return this.#localFailures.countFailureNow(clientId, windowSeconds);
    }
  }

  async close(): Promise<void> {
    await this.#localFailures.close();
    if (this.#client.isOpen) await this.#client.close();
    else this.#client.destroy();
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.#client.isReady) throw new StateUnavailable("not connected to Redis");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StateUnavailable(`no answer from Redis in ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([command(), timeout]);
    } catch (error) {
      if (error instanceof StateUnavailable) throw error;
      throw new StateUnavailable((error as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }
}

function ttl(seconds: number): { type: "EX"; value: number } {
  return { type: "EX", value: Math.max(1, Math.ceil(seconds)) };
}
