// Credentials: which client secret is current, which previous one still works, and
// why. Reads the client's Secret live (never from the cache: a stale copy could
// rotate twice and cut the grace window short) and decides:
// - generate (default): keep what the Secret holds; generate 256 bits where nothing
//   exists; after the Secret was deleted, issue a new secret (the old one is gone);
//   rotate when `rotation.every` has passed since status.secretRotatedAt, or when the
//   rotate annotation carries a value not yet handled;
// - adopt: read the named Secret, never write or own it; wait while it is missing.
// The state that must survive an operator restart and a Redis flush (when the secret
// last changed, the previous secret's hash and expiry, the last rotation request
// handled, the token revocation time) lives in annotations on the Secret itself.
import type { V1Secret } from "@kubernetes/client-node";
import { type OAuthClient, ROTATE_ANNOTATION } from "../../api/v1alpha1/oauthclient.ts";
import { DEFAULTS, defaultSecretName } from "../../registry/compile.ts";
import { parseDuration } from "../../registry/duration.ts";
import type { ClientRecord, StoredSecret } from "../../registry/record.ts";
import { generateSecret, hashSecret, verifySecret } from "../../registry/secret-hash.ts";
import { readSecret } from "../kube.ts";
import type { ReconcileContext } from "./context.ts";

export const SecretAnnotation = {
  rotatedAt: "tollgate.dev/secret-rotated-at",
  previousHash: "tollgate.dev/previous-secret-hash",
  previousExpiresAt: "tollgate.dev/previous-secret-expires-at",
  rotationRequestHandled: "tollgate.dev/rotation-request-handled",
  tokensRevokedBefore: "tollgate.dev/tokens-revoked-before",
} as const;

export const DEFAULT_KEYS = {
  clientId: "client_id",
  clientSecret: "client_secret",
  tokenEndpoint: "token_endpoint",
  issuer: "issuer",
} as const;

/** What happened to the secret in this reconcile (drives the condition reason and the Event). */
export type CredentialsChange = "created" | "regenerated" | "rotated" | "changed" | "kept" | "adopted";

export interface ResolvedCredentials {
  secretName: string;
  /** The raw current secret; undefined for a public client. */
  clientSecret?: string;
  /** Hash of the current secret, reusing the registry's when it still matches (so an unchanged record is not rewritten). */
  currentHash?: string;
  previous?: StoredSecret;
  rotatedAt: number;
  rotationRequestHandled?: string;
  /** Epoch seconds: tokens issued before the last rotation with revokeTokens are dead. */
  tokensRevokedBefore?: number;
  /** The Secret as read (absent when it must be created). */
  existing?: V1Secret;
  adopted: boolean;
  change: CredentialsChange;
  /** Why, for a person: becomes the CredentialsReady message and the Event note. */
  message: string;
}

export type CredentialsOutcome =
  | { ready: true; credentials: ResolvedCredentials }
  | { ready: false; reason: string; message: string };

export function credentialsSecretName(resource: OAuthClient): string {
  return resource.spec.credentials?.secretName ?? defaultSecretName(resource.metadata.name);
}

export function secretKeys(resource: OAuthClient): Record<keyof typeof DEFAULT_KEYS, string> {
  const keys = resource.spec.credentials?.keys ?? {};
  return {
    clientId: keys.clientId ?? DEFAULT_KEYS.clientId,
    clientSecret: keys.clientSecret ?? DEFAULT_KEYS.clientSecret,
    tokenEndpoint: keys.tokenEndpoint ?? DEFAULT_KEYS.tokenEndpoint,
    issuer: keys.issuer ?? DEFAULT_KEYS.issuer,
  };
}

export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const raw = secret?.data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, "base64").toString("utf8");
}

export function isOwnedBy(secret: V1Secret, resource: OAuthClient): boolean {
  return secret.metadata?.ownerReferences?.some((o) => o.uid === resource.metadata.uid) ?? false;
}

export async function resolveCredentials(
  ctx: ReconcileContext,
  resource: OAuthClient,
  record: ClientRecord | undefined,
): Promise<CredentialsOutcome> {
  const namespace = resource.metadata.namespace ?? "default";
  const secretName = credentialsSecretName(resource);
  const keys = secretKeys(resource);
  const existing = await readSecret(ctx.kube, namespace, secretName);
  const now = ctx.now();
  const isPublic = resource.spec.clientType === "public";
  const statusRotatedAt = parseTime(resource.status?.secretRotatedAt);

  if (resource.spec.credentials?.source === "adopt") {
    if (!existing)
      return {
        ready: false,
        reason: "WaitingForSecret",
        message: `Waiting for Secret ${namespace}/${secretName} (credentials.source: adopt); create it with the client secret under key "${keys.clientSecret}"`,
      };
    const value = secretValue(existing, keys.clientSecret);
    if (!isPublic && !value)
      return {
        ready: false,
        reason: "SecretKeyMissing",
        message: `Secret ${namespace}/${secretName} has no key "${keys.clientSecret}" (set credentials.keys.clientSecret if it uses another key)`,
      };
    const currentHash = value === undefined ? undefined : matchingHash(value, record);
    const unchanged = value === undefined || currentHash !== undefined;
    return {
      ready: true,
      credentials: {
        secretName,
        ...(value === undefined ? {} : { clientSecret: value, currentHash: currentHash ?? hashSecret(value) }),
        rotatedAt: unchanged && statusRotatedAt ? statusRotatedAt : now,
        existing,
        adopted: true,
        change: "adopted",
        message: `Using the client secret from Secret ${namespace}/${secretName} (adopted; the operator does not change it)`,
      },
    };
  }

  if (existing && !isOwnedBy(existing, resource))
    return {
      ready: false,
      reason: "SecretNotOwned",
      message: `Secret ${namespace}/${secretName} exists and is not owned by this OAuthClient; set credentials.source: adopt to use it, or choose another credentials.secretName`,
    };

  const annotations = existing?.metadata?.annotations ?? {};
  const requested = resource.metadata.annotations?.[ROTATE_ANNOTATION];
  // The Secret's annotations are the record of the last rotation: written atomically with the
  // secret they describe, so a status write lost after a rotation can never make us rotate
  // twice (which would cut the grace window short). Status mirrors them, and stands in only
  // when an annotation is missing (status can be restored from the world, not the reverse).
  const handled = annotations[SecretAnnotation.rotationRequestHandled] ?? resource.status?.rotationRequestHandled;
  const rotation = resource.spec.credentials?.rotation;
  const tokensRevokedBefore = parseTime(annotations[SecretAnnotation.tokensRevokedBefore]);
  const base = {
    secretName,
    existing,
    adopted: false,
    ...(requested === undefined ? {} : { rotationRequestHandled: requested }),
    ...(tokensRevokedBefore ? { tokensRevokedBefore: Math.floor(tokensRevokedBefore / 1000) } : {}),
  };
  /** A new client secret (none for a public client), issued now. */
  const issue = (
    change: CredentialsChange,
    message: string,
    more: Partial<ResolvedCredentials> = {},
  ): CredentialsOutcome => {
    const clientSecret = isPublic ? undefined : generateSecret();
    return {
      ready: true,
      credentials: {
        ...base,
        ...(clientSecret === undefined ? {} : { clientSecret, currentHash: hashSecret(clientSecret) }),
        ...more,
        rotatedAt: now,
        change,
        message,
      },
    };
  };

  if (!existing) {
    const hadOne = statusRotatedAt !== undefined;
    return hadOne
      ? issue(
          "regenerated",
          `Secret ${namespace}/${secretName} was deleted; a new client secret was issued (the old one is gone and no longer works)`,
        )
      : issue("created", `Generated credentials in Secret ${namespace}/${secretName}`);
  }

  const current = secretValue(existing, keys.clientSecret);
  if (!isPublic && !current)
    return issue(
      "regenerated",
      `Secret ${namespace}/${secretName} had no "${keys.clientSecret}"; a new client secret was issued`,
    );

  const rotatedAt = parseTime(annotations[SecretAnnotation.rotatedAt]) ?? statusRotatedAt ?? now;
  const everyMs = rotation?.every ? parseDuration(rotation.every) * 1000 : undefined;
  const dueBySchedule = everyMs !== undefined && now >= rotatedAt + everyMs;
  const dueByRequest = requested !== undefined && requested !== handled;
  if (!isPublic && current && (dueBySchedule || dueByRequest)) {
    const graceMs = parseDuration(rotation?.gracePeriod ?? DEFAULTS.secretGracePeriod) * 1000;
    return issue(
      "rotated",
      `Rotated the client secret (${dueByRequest ? `requested by annotation ${ROTATE_ANNOTATION}` : `due every ${rotation?.every}`}); the previous secret works until ${new Date(now + graceMs).toISOString()}${rotation?.revokeTokens ? "; tokens issued before the rotation are revoked" : ""}`,
      {
        previous: { hash: matchingHash(current, record) ?? hashSecret(current), expiresAt: now + graceMs },
        ...(rotation?.revokeTokens ? { tokensRevokedBefore: Math.floor(now / 1000) } : {}),
      },
    );
  }

  const previousHash = annotations[SecretAnnotation.previousHash];
  const previousExpiresAt = parseTime(annotations[SecretAnnotation.previousExpiresAt]);
  const previous =
    previousHash && previousExpiresAt && previousExpiresAt > now
      ? { hash: previousHash, expiresAt: previousExpiresAt }
      : undefined;
  const currentHash = current === undefined ? undefined : matchingHash(current, record);
  // The registry knew another secret and the Secret was not rotated by us since: a person set their own.
  const changed =
    current !== undefined && record !== undefined && currentHash === undefined && record.secrets.length > 0;
  return {
    ready: true,
    credentials: {
      ...base,
      ...(current === undefined ? {} : { clientSecret: current, currentHash: currentHash ?? hashSecret(current) }),
      ...(previous ? { previous } : {}),
      rotatedAt: changed ? now : rotatedAt,
      change: changed ? "changed" : "kept",
      message: changed
        ? `The client secret in Secret ${namespace}/${secretName} was changed; the registry now accepts the new value`
        : `Client secret held in Secret ${namespace}/${secretName}`,
    },
  };
}

/** The registry's stored hash for this secret, if the registry still has it. */
function matchingHash(secret: string, record: ClientRecord | undefined): string | undefined {
  return record?.secrets.find((s) => s.expiresAt === undefined && verifySecret(secret, s.hash))?.hash;
}

function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** When this resource next needs a look without any event: a rotation falling due or a grace window ending. */
export function nextCredentialsDeadline(resource: OAuthClient, credentials: ResolvedCredentials): number | undefined {
  const times: number[] = [];
  const every = resource.spec.credentials?.rotation?.every;
  if (every && !credentials.adopted) times.push(credentials.rotatedAt + parseDuration(every) * 1000);
  if (credentials.previous?.expiresAt) times.push(credentials.previous.expiresAt);
  return times.length ? Math.min(...times) : undefined;
}
