// Credentials: which client secret is current, which previous one still works, and
// why. Reads the client's Secret live (never from the cache: a stale copy could
// rotate twice and cut the grace window short) and decides (credentials-policy.ts):
// - generate (default): keep what the Secret holds; generate 256 bits where nothing
//   exists; after the Secret was deleted, issue a new secret (the old one is gone);
//   rotate when `rotation.every` has passed since status.secretRotatedAt, or when the
//   rotate annotation carries a value not yet handled;
// - adopt: read the named Secret, never write or own it; wait while it is missing.
// The state that must survive an operator restart and a Redis flush (the current
// secret's hash, when it last changed, the previous secret's hash and expiry, the last
// rotation request handled, the token revocation time) lives in annotations on the
// Secret itself: the registry is never read to decide.
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { parseDuration } from "../../registry/duration.ts";
import { readSecret } from "../kube.ts";
import { effectiveClientId } from "./client-id.ts";
import { type CredentialsOutcome, decideCredentials, type ResolvedCredentials } from "./credentials-policy.ts";
import { credentialsSecretName } from "./credentials-secret.ts";
import type { ReconcileContext } from "./reconcile-context.ts";

/**
 * Reads the client's Secret live and decides (credentials-policy.ts). A new client's
 * Secret is known not to exist without a read (controllers/cached-reads.ts says when);
 * an adopted one is always read.
 */
export async function resolveCredentials(ctx: ReconcileContext, resource: OAuthClient): Promise<CredentialsOutcome> {
  const namespace = resource.metadata.namespace ?? "default";
  const secretName = credentialsSecretName(resource);
  const adopted = resource.spec.credentials?.source === "adopt";
  const existing =
    !adopted && ctx.credentialsSecretAbsent(resource, secretName)
      ? undefined
      : await readSecret(ctx.kube, namespace, secretName);
  const registryHashes = adopted ? await currentHashes(ctx, effectiveClientId(resource)) : undefined;
  return decideCredentials({ resource, existing, now: ctx.now(), ...(registryHashes ? { registryHashes } : {}) });
}

/** The registry's current-secret hashes for an adopted client; undefined while the registry cannot answer. */
async function currentHashes(ctx: ReconcileContext, clientId: string): Promise<string[] | undefined> {
  try {
    const record = await ctx.registry.get(clientId);
    return (record?.secrets ?? []).filter((s) => s.expiresAt === undefined).map((s) => s.hash);
  } catch {
    return undefined;
  }
}

/** When this resource next needs a look without any event: a rotation falling due or a grace window ending. */
export function nextCredentialsDeadline(resource: OAuthClient, credentials: ResolvedCredentials): number | undefined {
  const times: number[] = [];
  const every = resource.spec.credentials?.rotation?.every;
  if (every && !credentials.adopted) times.push(credentials.rotatedAt + parseDuration(every) * 1000);
  if (credentials.previous?.expiresAt) times.push(credentials.previous.expiresAt);
  return times.length ? Math.min(...times) : undefined;
}
