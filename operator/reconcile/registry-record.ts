// The registry record: the spec and the Secrets it references, compiled by the one
// compiler the token server's standalone mode uses too, plus the hashed current and
// previous secrets. Written only when it differs from what the registry holds (apart
// from updatedAt), so resyncs of a converged cluster cost reads, not writes and not
// change notifications.
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { CompileError, compileRecord, referencedSecrets, type SecretValueLookup } from "../../registry/compile.ts";
import type { ClientRecord, StoredSecret } from "../../registry/record.ts";
import { verifySecret } from "../../registry/secret-hash.ts";
import { readSecret } from "../kube.ts";
import type { ResolvedCredentials } from "./credentials-policy.ts";
import { secretValue } from "./credentials-secret.ts";
import type { ReconcileContext } from "./reconcile-context.ts";
import { stableJson } from "./status.ts";

export type CompileOutcome = { ok: true; record: ClientRecord } | { ok: false; field: string; message: string };

/**
 * Referenced Secrets (a users file, a JWKS, IdP certificates) are read live, each once
 * per reconcile: the operator caches no Secret's data (a cluster's Secrets are mostly
 * not ours, and would be most of its memory), and the metadata-only watch requeues
 * the readers when one changes (oauthclient-watches.ts).
 */
async function referencedSecretLookup(ctx: ReconcileContext, resource: OAuthClient): Promise<SecretValueLookup> {
  const namespace = resource.metadata.namespace ?? "default";
  const names = [...new Set(referencedSecrets(resource).map((reference) => reference.ref.name))];
  const secrets = new Map(
    await Promise.all(names.map(async (name) => [name, await readSecret(ctx.kube, namespace, name)] as const)),
  );
  return (reference) => secretValue(secrets.get(reference.ref.name), reference.ref.key ?? reference.defaultKey);
}

export async function compile(
  ctx: ReconcileContext,
  resource: OAuthClient,
  clientId: string,
  credentials: ResolvedCredentials,
): Promise<CompileOutcome> {
  const secrets: StoredSecret[] = [];
  if (credentials.currentHash) secrets.push({ hash: credentials.currentHash });
  if (credentials.previous && (credentials.previous.expiresAt ?? 0) > ctx.now()) secrets.push(credentials.previous);
  const lookup = await referencedSecretLookup(ctx, resource);
  try {
    const namespace = resource.metadata.namespace ?? "default";
    const serviceAccountUid = (name: string) => ctx.serviceAccountUid(namespace, name);
    const record = compileRecord({ resource, clientId, secrets, lookup, serviceAccountUid });
    if (credentials.tokensRevokedBefore !== undefined)
      record.revokeTokensIssuedBefore = Math.max(record.revokeTokensIssuedBefore ?? 0, credentials.tokensRevokedBefore);
    return { ok: true, record };
  } catch (error) {
    if (error instanceof CompileError) return { ok: false, field: error.field, message: error.message };
    // parseDuration and friends throw plain Errors for values the schema let through.
    return { ok: false, field: "spec", message: (error as Error).message };
  }
}

/** What a registry write did: whether it wrote, and what the registry held before (for the Events). */
export interface RecordWrite {
  written: boolean;
  /** The record the registry holds now. */
  record: ClientRecord;
  previous: ClientRecord | undefined;
  /** The top-level fields the token server uses that differ from `previous` (all when there was none). */
  changed: string[];
}

/**
 * Writes the record unless the registry already holds the same, under the current record
 * key. The registry is output only: it is read here just to skip a write that would
 * change nothing (and to say what a write changed, or to renew its MAC). A hash the registry holds for the same current secret is kept (an
 * adopted Secret records no hash, and a new salt alone must not rewrite the record).
 */
export async function writeRecord(
  ctx: ReconcileContext,
  record: ClientRecord,
  currentSecret: string | undefined,
): Promise<RecordWrite> {
  // A record that does not verify reads as absent and is overwritten; one under an
  // older record key is rewritten under the current one (registry-keys.ts).
  const stored = await ctx.registry.read(record.clientId);
  const previous = stored?.record;
  const kept = currentSecret === undefined ? undefined : currentHashIn(previous, currentSecret);
  const desired = kept ? { ...record, secrets: [{ hash: kept }, ...record.secrets.slice(1)] } : record;
  if (previous && stored.currentKey && sameRecord(previous, desired))
    return { written: false, record: previous, previous, changed: [] };
  await ctx.registry.put(desired);
  return { written: true, record: desired, previous, changed: changedFields(previous, desired) };
}

/** Fields that say which write this is, not what the token server does. */
const BOOKKEEPING = new Set(["updatedAt", "generation"]);

function changedFields(before: ClientRecord | undefined, after: ClientRecord): string[] {
  const a = (before ?? {}) as unknown as Record<string, unknown>;
  const b = after as unknown as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((key) => !BOOKKEEPING.has(key) && stableJson(a[key]) !== stableJson(b[key]))
    .sort();
}

function currentHashIn(record: ClientRecord | undefined, secret: string): string | undefined {
  return record?.secrets.find((s) => s.expiresAt === undefined && verifySecret(secret, s.hash))?.hash;
}

export function sameRecord(a: ClientRecord, b: ClientRecord): boolean {
  return stableJson({ ...a, updatedAt: 0 }) === stableJson({ ...b, updatedAt: 0 });
}
