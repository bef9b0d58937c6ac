// The credentials decision as a pure function of its inputs and the clock: the
// resource, its Secret as read, and now. Everything it needs is on the Secret (the
// current secret's hash included), so the registry is output only: a Redis outage
// never keeps a client from its Secret. An ordered chain of
// named policies; the first that applies decides. Reading and writing stay in
// credentials.ts and secret.ts.
import type { V1Secret } from "@kubernetes/client-node";
import { type OAuthClient, ROTATE_ANNOTATION } from "../../api/v1alpha1/oauthclient.ts";
import { DEFAULTS } from "../../registry/compile.ts";
import { parseDuration } from "../../registry/duration.ts";
import type { StoredSecret } from "../../registry/record.ts";
import { generateSecret, hashSecret, verifySecret } from "../../registry/secret-hash.ts";
import { credentialsSecretName, isOwnedBy, SecretAnnotation, secretKeys, secretValue } from "./credentials-secret.ts";

/** What happened to the secret in this reconcile (drives the condition reason and the Event). */
export type CredentialsChange = "created" | "regenerated" | "rotated" | "changed" | "kept" | "adopted";

export interface ResolvedCredentials {
  secretName: string;
  /** The raw current secret; undefined for a public client. */
  clientSecret?: string;
  /** Hash of the current secret: the one the Secret records while it still matches, else a new one. */
  currentHash?: string;
  previous?: StoredSecret;
  rotatedAt: number;
  rotationRequestHandled?: string;
  /**
   * Epoch seconds: tokens issued before it are dead. The latest of a rotation with
   * revokeTokens, spec.revokeTokensIssuedBefore and every value recorded before: it
   * never moves back.
   */
  tokensRevokedBefore?: number;
  /** The declarative revocation: the latest spec value applied, and whether the spec now asks for less. */
  revocation?: Revocation;
  /** The Secret as read (absent when it must be created). */
  existing?: V1Secret;
  adopted: boolean;
  change: CredentialsChange;
  /** Why, for a person: becomes the CredentialsReady message and the Event note. */
  message: string;
}

export interface Revocation {
  /** Epoch seconds: the latest spec.revokeTokensIssuedBefore ever applied (recorded on the Secret). */
  appliedBefore: number;
  /** The spec's value now, if any (epoch seconds). */
  specBefore?: number;
  /** The spec's value is earlier than one applied before, or was removed: it is ignored. */
  ignored: boolean;
}

export type CredentialsOutcome =
  | { ready: true; credentials: ResolvedCredentials }
  | { ready: false; reason: string; message: string };

export interface CredentialsInput {
  resource: OAuthClient;
  /** The Secret as read live; undefined when it does not exist. */
  existing: V1Secret | undefined;
  /**
   * For an adopted Secret only (the operator writes no state on it): the current-secret
   * hashes the registry holds, to tell whether the team changed the secret; undefined
   * when unknown (the registry unreachable), then the last rotation time stands.
   */
  registryHashes?: readonly string[];
  /** Epoch milliseconds. */
  now: number;
  /** Where new client secrets come from; default 256 random bits. */
  generate?: () => string;
}

/** What every policy reads, derived once from the input. */
interface Facts extends CredentialsInput {
  namespace: string;
  secretName: string;
  keys: ReturnType<typeof secretKeys>;
  /**
   * The client authenticates without a client secret: a public client (`none`), or
   * one that signs a JWT with its own key (`private_key_jwt`) or whose pods present
   * their ServiceAccount token (`workloadIdentity`), for which a secret would be unusable.
   */
  secretless: boolean;
  /** The client secret the Secret holds now (never one for a client that takes none). */
  current: string | undefined;
  statusRotatedAt: number | undefined;
  annotations: Record<string, string>;
  requested: string | undefined;
}

type Policy = (facts: Facts) => CredentialsOutcome | undefined;

/** The policies in the order they are asked. Each name says when it applies. */
export const CREDENTIALS_POLICIES: readonly (readonly [string, Policy])[] = [
  ["adopted-and-missing", adoptedAndMissing],
  ["adopted-key-missing", adoptedKeyMissing],
  ["adopted", adopted],
  ["not-owned", notOwned],
  ["deleted", deleted],
  ["key-missing", keyMissing],
  ["rotation-requested", rotationRequested],
  ["rotation-due", rotationDue],
  ["changed-by-a-person", changedByPerson],
  ["kept", kept],
];

export function decideCredentials(input: CredentialsInput): CredentialsOutcome & { policy: string } {
  const { resource, existing } = input;
  const keys = secretKeys(resource);
  const secretless =
    resource.spec.clientType === "public" ||
    resource.spec.tokenEndpointAuthMethod === "private_key_jwt" ||
    resource.spec.workloadIdentity !== undefined;
  const facts: Facts = {
    ...input,
    namespace: resource.metadata.namespace ?? "default",
    secretName: credentialsSecretName(resource),
    keys,
    secretless,
    current: secretless ? undefined : secretValue(existing, keys.clientSecret),
    statusRotatedAt: parseTime(resource.status?.secretRotatedAt),
    annotations: existing?.metadata?.annotations ?? {},
    requested: resource.metadata.annotations?.[ROTATE_ANNOTATION],
  };
  for (const [policy, decide] of CREDENTIALS_POLICIES) {
    const outcome = decide(facts);
    if (outcome) return { ...outcome, policy };
  }
  throw new Error("the kept policy always decides");
}

function isAdopt(f: Facts): boolean {
  return f.resource.spec.credentials?.source === "adopt";
}

function adoptedAndMissing(f: Facts): CredentialsOutcome | undefined {
  if (!isAdopt(f) || f.existing) return undefined;
  return {
    ready: false,
    reason: "WaitingForSecret",
    message: `Waiting for Secret ${f.namespace}/${f.secretName} (credentials.source: adopt); create it with the client secret under key "${f.keys.clientSecret}"`,
  };
}

function adoptedKeyMissing(f: Facts): CredentialsOutcome | undefined {
  if (!isAdopt(f) || f.secretless || f.current) return undefined;
  return {
    ready: false,
    reason: "SecretKeyMissing",
    message: `Secret ${f.namespace}/${f.secretName} has no key "${f.keys.clientSecret}" (set credentials.keys.clientSecret if it uses another key)`,
  };
}

function adopted(f: Facts): CredentialsOutcome | undefined {
  if (!isAdopt(f)) return undefined;
  const value = f.current;
  const currentHash = value === undefined ? undefined : f.registryHashes?.find((hash) => verifySecret(value, hash));
  const unchanged = value === undefined || f.registryHashes === undefined || currentHash !== undefined;
  return {
    ready: true,
    credentials: {
      secretName: f.secretName,
      ...(value === undefined ? {} : { clientSecret: value, currentHash: currentHash ?? hashSecret(value) }),
      rotatedAt: unchanged && f.statusRotatedAt ? f.statusRotatedAt : f.now,
      ...(f.existing ? { existing: f.existing } : {}),
      adopted: true,
      change: "adopted",
      message: `Using the client secret from Secret ${f.namespace}/${f.secretName} (adopted; the operator does not change it)`,
    },
  };
}

function notOwned(f: Facts): CredentialsOutcome | undefined {
  if (!f.existing || isOwnedBy(f.existing, f.resource)) return undefined;
  return {
    ready: false,
    reason: "SecretNotOwned",
    message: `Secret ${f.namespace}/${f.secretName} exists and is not owned by this OAuthClient; set credentials.source: adopt to use it, or choose another credentials.secretName`,
  };
}

function deleted(f: Facts): CredentialsOutcome | undefined {
  if (f.existing) return undefined;
  return f.statusRotatedAt !== undefined
    ? issue(
        f,
        "regenerated",
        `Secret ${f.namespace}/${f.secretName} was deleted; a new client secret was issued (the old one is gone and no longer works)`,
      )
    : issue(f, "created", `Generated credentials in Secret ${f.namespace}/${f.secretName}`);
}

function keyMissing(f: Facts): CredentialsOutcome | undefined {
  if (f.secretless || f.current) return undefined;
  return issue(
    f,
    "regenerated",
    `Secret ${f.namespace}/${f.secretName} had no "${f.keys.clientSecret}"; a new client secret was issued`,
  );
}

function rotationRequested(f: Facts): CredentialsOutcome | undefined {
  // The Secret's annotations are the record of the last rotation: written atomically with the
  // secret they describe, so a status write lost after a rotation can never make us rotate
  // twice (which would cut the grace window short). Status mirrors them, and stands in only
  // when an annotation is missing (status can be restored from the world, not the reverse).
  const handled = f.annotations[SecretAnnotation.rotationRequestHandled] ?? f.resource.status?.rotationRequestHandled;
  if (f.secretless || f.requested === undefined || f.requested === handled) return undefined;
  return rotate(f, `requested by annotation ${ROTATE_ANNOTATION}`);
}

function rotationDue(f: Facts): CredentialsOutcome | undefined {
  const every = f.resource.spec.credentials?.rotation?.every;
  if (f.secretless || !every) return undefined;
  if (f.now < lastRotation(f) + parseDuration(every) * 1000) return undefined;
  return rotate(f, `due every ${every}`);
}

function changedByPerson(f: Facts): CredentialsOutcome | undefined {
  // The Secret records the hash of another secret than it holds: a person set their own.
  const { current } = f;
  const hash = f.annotations[SecretAnnotation.currentHash];
  if (current === undefined || !hash || verifySecret(current, hash)) return undefined;
  return keep(
    f,
    "changed",
    f.now,
    `The client secret in Secret ${f.namespace}/${f.secretName} was changed; the registry now accepts the new value`,
  );
}

function kept(f: Facts): CredentialsOutcome {
  return keep(f, "kept", lastRotation(f), `Client secret held in Secret ${f.namespace}/${f.secretName}`);
}

/** When the secret last changed: the Secret's annotation, else status, else now. */
function lastRotation(f: Facts): number {
  return parseTime(f.annotations[SecretAnnotation.rotatedAt]) ?? f.statusRotatedAt ?? f.now;
}

/** What every owned (not adopted) outcome carries besides the secret itself. */
function base(
  f: Facts,
): Pick<
  ResolvedCredentials,
  "secretName" | "existing" | "adopted" | "rotationRequestHandled" | "tokensRevokedBefore" | "revocation"
> {
  const revocation = revocationOf(f);
  const recorded = seconds(parseTime(f.annotations[SecretAnnotation.tokensRevokedBefore]));
  const tokensRevokedBefore = latest(recorded, revocation?.appliedBefore);
  return {
    secretName: f.secretName,
    ...(f.existing ? { existing: f.existing } : {}),
    adopted: false,
    ...(f.requested === undefined ? {} : { rotationRequestHandled: f.requested }),
    ...(tokensRevokedBefore ? { tokensRevokedBefore } : {}),
    ...(revocation ? { revocation } : {}),
  };
}

/**
 * spec.revokeTokensIssuedBefore against the latest value applied before (the Secret's
 * annotation): the later one holds. An unparseable spec value counts as none here;
 * compiling the record reports it.
 */
function revocationOf(f: Facts): Revocation | undefined {
  const spec = seconds(parseTime(f.resource.spec.revokeTokensIssuedBefore));
  const applied = seconds(parseTime(f.annotations[SecretAnnotation.revokeTokensIssuedBefore]));
  const appliedBefore = latest(spec, applied);
  if (appliedBefore === undefined) return undefined;
  return {
    appliedBefore,
    ...(spec === undefined ? {} : { specBefore: spec }),
    ignored: spec === undefined || spec < appliedBefore,
  };
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}

function latest(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length ? Math.max(...defined) : undefined;
}

/** A new client secret (none for a public client), issued now. */
function issue(
  f: Facts,
  change: CredentialsChange,
  message: string,
  more: Partial<ResolvedCredentials> = {},
): CredentialsOutcome {
  const clientSecret = f.secretless ? undefined : (f.generate ?? generateSecret)();
  return {
    ready: true,
    credentials: {
      ...base(f),
      ...(clientSecret === undefined ? {} : { clientSecret, currentHash: hashSecret(clientSecret) }),
      ...more,
      rotatedAt: f.now,
      change,
      message,
    },
  };
}

function rotate(f: Facts, why: string): CredentialsOutcome {
  const rotation = f.resource.spec.credentials?.rotation;
  const current = f.current as string;
  const graceMs = parseDuration(rotation?.gracePeriod ?? DEFAULTS.secretGracePeriod) * 1000;
  return issue(
    f,
    "rotated",
    `Rotated the client secret (${why}); the previous secret works until ${new Date(f.now + graceMs).toISOString()}${rotation?.revokeTokens ? "; tokens issued before the rotation are revoked" : ""}`,
    {
      previous: { hash: recordedHash(f, current) ?? hashSecret(current), expiresAt: f.now + graceMs },
      ...(rotation?.revokeTokens
        ? { tokensRevokedBefore: latest(base(f).tokensRevokedBefore, Math.floor(f.now / 1000)) as number }
        : {}),
    },
  );
}

/** The secret the Secret holds stays current. */
function keep(f: Facts, change: CredentialsChange, rotatedAt: number, message: string): CredentialsOutcome {
  const previousHash = f.annotations[SecretAnnotation.previousHash];
  const previousExpiresAt = parseTime(f.annotations[SecretAnnotation.previousExpiresAt]);
  const previous =
    previousHash && previousExpiresAt && previousExpiresAt > f.now
      ? { hash: previousHash, expiresAt: previousExpiresAt }
      : undefined;
  const { current } = f;
  const currentHash = current === undefined ? undefined : recordedHash(f, current);
  return {
    ready: true,
    credentials: {
      ...base(f),
      ...(current === undefined ? {} : { clientSecret: current, currentHash: currentHash ?? hashSecret(current) }),
      ...(previous ? { previous } : {}),
      rotatedAt,
      change,
      message,
    },
  };
}

/** The hash the Secret records for this secret, if it still describes it. */
function recordedHash(f: Facts, secret: string): string | undefined {
  const hash = f.annotations[SecretAnnotation.currentHash];
  return hash && verifySecret(secret, hash) ? hash : undefined;
}

function parseTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
