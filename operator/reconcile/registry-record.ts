// The registry record: the spec and the Secrets it references, compiled by the one
// compiler the token server's standalone mode uses too, plus the hashed current and
// previous secrets. Written only when it differs from what the registry holds (apart
// from updatedAt), so resyncs of a converged cluster cost reads, not writes and not
// change notifications.
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { CompileError, compileRecord, type SecretValueLookup } from "../../registry/compile.ts";
import type { ClientRecord, StoredSecret } from "../../registry/record.ts";
import { verifySecret } from "../../registry/secret-hash.ts";
import type { ResolvedCredentials } from "./credentials-policy.ts";
import { secretValue } from "./credentials-secret.ts";
import type { ReconcileContext } from "./reconcile-context.ts";
import { stableJson } from "./status.ts";

export type CompileOutcome = { ok: true; record: ClientRecord } | { ok: false; field: string; message: string };

/** Referenced Secrets come from the informer's cache: they are inputs, and their changes requeue us. */
export function referencedSecretLookup(ctx: ReconcileContext, resource: OAuthClient): SecretValueLookup {
  const namespace = resource.metadata.namespace ?? "default";
  return (reference) =>
    secretValue(ctx.cachedSecret(namespace, reference.ref.name), reference.ref.key ?? reference.defaultKey);
}

export function compile(
  ctx: ReconcileContext,
  resource: OAuthClient,
  clientId: string,
  credentials: ResolvedCredentials,
): CompileOutcome {
  const secrets: StoredSecret[] = [];
  if (credentials.currentHash) secrets.push({ hash: credentials.currentHash });
  if (credentials.previous && (credentials.previous.expiresAt ?? 0) > ctx.now()) secrets.push(credentials.previous);
  try {
    const record = compileRecord({ resource, clientId, secrets, lookup: referencedSecretLookup(ctx, resource) });
    if (credentials.tokensRevokedBefore !== undefined)
      record.revokeTokensIssuedBefore = Math.max(record.revokeTokensIssuedBefore ?? 0, credentials.tokensRevokedBefore);
    return { ok: true, record };
  } catch (error) {
    if (error instanceof CompileError) return { ok: false, field: error.field, message: error.message };
    // parseDuration and friends throw plain Errors for values the schema let through.
    return { ok: false, field: "spec", message: (error as Error).message };
  }
}

/**
 * Writes the record unless the registry already holds the same; returns whether it
 * wrote. The registry is output only: it is read here just to skip a write that would
 * change nothing (or to renew its MAC). A hash the registry holds for the same current secret is kept (an
 * adopted Secret records no hash, and a new salt alone must not rewrite the record).
 */
export async function writeRecord(
  ctx: ReconcileContext,
  record: ClientRecord,
  currentSecret: string | undefined,
): Promise<boolean> {
  // A record that does not verify reads as absent and is overwritten; one under an
  // older record key is rewritten under the current one (registry-keys.ts).
  const stored = await ctx.registry.read(record.clientId);
  const existing = stored?.record;
  const kept = currentSecret === undefined ? undefined : currentHashIn(existing, currentSecret);
  const desired = kept ? { ...record, secrets: [{ hash: kept }, ...record.secrets.slice(1)] } : record;
  if (existing && stored.currentKey && sameRecord(existing, desired)) return false;
  await ctx.registry.put(desired);
  return true;
}

function currentHashIn(record: ClientRecord | undefined, secret: string): string | undefined {
  return record?.secrets.find((s) => s.expiresAt === undefined && verifySecret(secret, s.hash))?.hash;
}

export function sameRecord(a: ClientRecord, b: ClientRecord): boolean {
  return stableJson({ ...a, updatedAt: 0 }) === stableJson({ ...b, updatedAt: 0 });
}
