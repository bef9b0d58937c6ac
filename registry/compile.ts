// Compiles an OAuthClient (spec plus the contents of the Secrets it references) into
// the registry record. Shared by the operator and the standalone token server, so a
// manifest means the same thing on a laptop as on a cluster.
import { createPublicKey, type JsonWebKey } from "node:crypto";
import type { OAuthClient, SecretKeyRef, WorkloadIdentity } from "../api/v1alpha1/oauthclient.ts";
import { parseDuration } from "./duration.ts";
import { parseUserClaims } from "./parse-user-claims.ts";
import {
  type ClientRecord,
  type CompiledWorkloadIdentity,
  type JsonWebKeySet,
  REGISTRY_VERSION,
  type StoredSecret,
} from "./record.ts";

export const DEFAULTS = {
  accessTokenLifetime: "1h",
  refreshTokenLifetime: "720h",
  refreshIssuance: "rotate",
  maxAssertionAge: "5m",
  jwtAlgorithms: ["RS256", "ES256"],
  secretGracePeriod: "1h",
} as const;

/** Stable and readable: never derived from anything that can change after creation. */
export function defaultClientId(namespace: string, name: string): string {
  return `${name}.${namespace}`;
}

export function defaultSecretName(name: string): string {
  return `${name}-oauth-client`;
}

/** Where a referenced Secret's value is used, so a failure message can say which field is wrong. */
export interface SecretReference {
  field: string;
  ref: SecretKeyRef;
  defaultKey: string;
  /** The key may be absent (the users' claims beside htpasswd, unless claimsKey names it). */
  optional?: true;
}

/** Every Secret the spec names, besides its own credentials Secret. */
export function referencedSecrets(resource: OAuthClient): SecretReference[] {
  const spec = resource.spec;
  const refs: SecretReference[] = [];
  if (spec.jwksSecretRef) refs.push({ field: "spec.jwksSecretRef", ref: spec.jwksSecretRef, defaultKey: "jwks.json" });
  const mapping = spec.identityMapping;
  mapping?.jwtIssuers?.forEach((issuer, i) => {
    if (issuer.jwksSecretRef)
      refs.push({
        field: `spec.identityMapping.jwtIssuers[${i}].jwksSecretRef`,
        ref: issuer.jwksSecretRef,
        defaultKey: "jwks.json",
      });
  });
  mapping?.samlIdps?.forEach((idp, i) => {
    if (idp.certificatesSecretRef)
      refs.push({
        field: `spec.identityMapping.samlIdps[${i}].certificatesSecretRef`,
        ref: idp.certificatesSecretRef,
        defaultKey: "ca.crt",
      });
  });
  if (mapping?.userDirectorySecretRef)
    refs.push({
      field: "spec.identityMapping.userDirectorySecretRef",
      ref: mapping.userDirectorySecretRef,
      defaultKey: "htpasswd",
    });
  if (mapping?.userDirectorySecretRef)
    refs.push({
      field: USER_CLAIMS_FIELD,
      ref: { name: mapping.userDirectorySecretRef.name, key: mapping.userDirectorySecretRef.claimsKey ?? "users.yaml" },
      defaultKey: "users.yaml",
      ...(mapping.userDirectorySecretRef.claimsKey === undefined ? { optional: true as const } : {}),
    });
  return refs;
}

/** The users Secret's claims: optional unless claimsKey names a key explicitly. */
const USER_CLAIMS_FIELD = "spec.identityMapping.userDirectorySecretRef.claimsKey";

/** Looks up a referenced Secret's value by field; returns undefined when the Secret or key is absent. */
export type SecretValueLookup = (reference: SecretReference) => string | undefined;

export class CompileError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

export interface CompileInput {
  resource: OAuthClient;
  clientId: string;
  secrets: StoredSecret[];
  lookup: SecretValueLookup;
  /**
   * The UID of a ServiceAccount of the resource's namespace, undefined when it does not
   * exist (the operator, from its ServiceAccount cache). Absent in standalone mode: the
   * named ServiceAccounts are taken as they are, without UIDs.
   */
  serviceAccountUid?: (name: string) => string | undefined;
}

export function compileRecord({ resource, clientId, secrets, lookup, serviceAccountUid }: CompileInput): ClientRecord {
  const { metadata, spec } = resource;
  const refs = referencedSecrets(resource);
  const secretValue = (field: string): string | undefined => {
    const reference = refs.find((r) => r.field === field);
    if (!reference) return undefined;
    const value = lookup(reference);
    if (value === undefined)
      throw new CompileError(
        field,
        `Secret "${reference.ref.name}" has no key "${reference.ref.key ?? reference.defaultKey}"`,
      );
    return value;
  };
  const jwksFrom = (field: string): JsonWebKeySet | undefined => {
    const raw = secretValue(field);
    return raw === undefined ? undefined : parseJwks(field, raw);
  };
  const clientType = spec.clientType ?? "confidential";
  const mapping = spec.identityMapping;
  const record: ClientRecord = {
    registryVersion: REGISTRY_VERSION,
    clientId,
    source: `${metadata.namespace ?? "default"}/${metadata.name}`,
    namespace: metadata.namespace ?? "default",
    sourceUid: metadata.uid ?? "",
    generation: metadata.generation ?? 0,
    displayName: spec.displayName ?? metadata.name,
    clientType,
    grantTypes: [...spec.grantTypes],
    redirectUris: spec.redirectUris ?? [],
    ...(spec.postLogoutRedirectUris ? { postLogoutRedirectUris: spec.postLogoutRedirectUris } : {}),
    scopes: spec.scopes ?? [],
    defaultScopes: spec.defaultScopes ?? [],
    audiences: spec.audiences ?? [],
    tokenEndpointAuthMethod: spec.tokenEndpointAuthMethod ?? defaultAuthMethod(resource),
    secrets,
    accessToken: {
      lifetimeSeconds: parseDuration(spec.accessToken?.lifetime ?? DEFAULTS.accessTokenLifetime),
      format: spec.accessToken?.format ?? "jwt",
    },
    refreshToken: {
      lifetimeSeconds: parseDuration(spec.refreshToken?.lifetime ?? DEFAULTS.refreshTokenLifetime),
      issuance: spec.refreshToken?.issuance ?? DEFAULTS.refreshIssuance,
      forAssertionGrants: spec.refreshToken?.forAssertionGrants ?? false,
    },
    skipConsent: spec.skipConsent ?? false,
    requirePkce: clientType === "public" || (spec.requirePkce ?? true),
    disabled: spec.disabled ?? false,
    updatedAt: Date.now(),
  };
  if (spec.defaultAudience) record.defaultAudience = spec.defaultAudience;
  if (spec.subject) record.subject = spec.subject;
  if (spec.jwksUri) record.jwksUri = spec.jwksUri;
  if (spec.workloadIdentity)
    record.workloadIdentity = compileWorkloadIdentity(spec.workloadIdentity, serviceAccountUid);
  const clientJwks = spec.jwks ?? jwksFrom("spec.jwksSecretRef");
  if (clientJwks) record.jwks = parseJwks("spec.jwks", JSON.stringify(clientJwks));
  if (spec.revokeTokensIssuedBefore) {
    const at = Date.parse(spec.revokeTokensIssuedBefore);
    if (Number.isNaN(at)) throw new CompileError("spec.revokeTokensIssuedBefore", "is not an RFC 3339 timestamp");
    record.revokeTokensIssuedBefore = Math.floor(at / 1000);
  }
  if (mapping?.allowedSubjects)
    // The CRD refuses it too; an object stored before that rule must not compile into "any subject".
    throw new CompileError(
      "spec.identityMapping.allowedSubjects",
      "moved to each jwtIssuers[] and samlIdps[] entry (one issuer must not speak for another's subjects)",
    );
  if (mapping) {
    const users = secretValue("spec.identityMapping.userDirectorySecretRef");
    const userClaims = compileUserClaims(resource, refs, lookup);
    record.identityMapping = {
      jwtIssuers: (mapping.jwtIssuers ?? []).map((issuer, i) => {
        const jwks = issuer.jwks ?? jwksFrom(`spec.identityMapping.jwtIssuers[${i}].jwksSecretRef`);
        return {
          issuer: issuer.issuer,
          ...(jwks ? { jwks: parseJwks(`spec.identityMapping.jwtIssuers[${i}].jwks`, JSON.stringify(jwks)) } : {}),
          ...(issuer.jwksUri ? { jwksUri: issuer.jwksUri } : {}),
          subjectClaim: issuer.subjectClaim ?? "sub",
          algorithms: issuer.algorithms ?? [...DEFAULTS.jwtAlgorithms],
          ...(issuer.allowedSubjects ? { allowedSubjects: issuer.allowedSubjects } : {}),
        };
      }),
      samlIdps: (mapping.samlIdps ?? []).map((idp, i) => {
        const field = `spec.identityMapping.samlIdps[${i}].certificatesSecretRef`;
        const fromSecret = secretValue(field);
        const certificates = [...(idp.certificates ?? []), ...(fromSecret ? splitPem(field, fromSecret) : [])];
        return {
          entityId: idp.entityId,
          certificates,
          ...(idp.subjectAttribute ? { subjectAttribute: idp.subjectAttribute } : {}),
          ...(idp.allowedSubjects ? { allowedSubjects: idp.allowedSubjects } : {}),
        };
      }),
      claimMappings: mapping.claimMappings ?? [],
      audiences: mapping.audiences ?? [],
      maxAssertionAgeSeconds: parseDuration(mapping.maxAssertionAge ?? DEFAULTS.maxAssertionAge),
      ...(users === undefined ? {} : { users: parseHtpasswd(users) }),
      ...(userClaims === undefined ? {} : { userClaims }),
    };
  }
  return record;
}

function defaultAuthMethod(resource: OAuthClient): ClientRecord["tokenEndpointAuthMethod"] {
  if (resource.spec.clientType === "public") return "none";
  return resource.spec.workloadIdentity ? "workload_identity" : "client_secret_basic";
}

/**
 * With a ServiceAccount lookup (the operator), a named ServiceAccount that does not exist
 * is left out and each one that does is pinned to its UID: deleting a ServiceAccount ends
 * its tokens' use here even though their signatures still verify.
 */
function compileWorkloadIdentity(
  identity: WorkloadIdentity,
  serviceAccountUid: ((name: string) => string | undefined) | undefined,
): CompiledWorkloadIdentity {
  const serviceAccounts = [...new Set(identity.serviceAccounts)].flatMap((name) => {
    if (!serviceAccountUid) return [{ name }];
    const uid = serviceAccountUid(name);
    return uid === undefined ? [] : [{ name, uid }];
  });
  return { serviceAccounts, tokenReuse: identity.tokenReuse ?? "allow" };
}

/** The users Secret's claims key: absent is fine (htpasswd alone), unless claimsKey named it. */
function compileUserClaims(
  resource: OAuthClient,
  refs: SecretReference[],
  lookup: SecretValueLookup,
): ReturnType<typeof parseUserClaims> | undefined {
  const reference = refs.find((r) => r.field === USER_CLAIMS_FIELD);
  if (!reference) return undefined;
  const raw = lookup(reference);
  const named = resource.spec.identityMapping?.userDirectorySecretRef?.claimsKey;
  if (raw === undefined) {
    if (named === undefined) return undefined;
    throw new CompileError(USER_CLAIMS_FIELD, `Secret "${reference.ref.name}" has no key "${named}"`);
  }
  try {
    return parseUserClaims(raw);
  } catch (error) {
    throw new CompileError(USER_CLAIMS_FIELD, `key "${reference.ref.key}": ${(error as Error).message}`);
  }
}

function parseJwks(field: string, raw: string): JsonWebKeySet {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new CompileError(field, 'is not valid JSON (expected a JWK Set: {"keys": [...]})');
  }
  const keys = (value as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new CompileError(field, "is not a JWK Set with at least one key");
  keys.forEach((key, i) => {
    if (typeof key !== "object" || key === null || typeof (key as { kty?: unknown }).kty !== "string")
      throw new CompileError(field, `key ${i} has no "kty"`);
    if ("d" in key || "k" in key)
      throw new CompileError(field, `key ${i} is private or symmetric; publish public keys only`);
    // Imported as the token server will import it: a key it cannot use (an EC point off
    // its curve, a missing coordinate) is refused here, where a person sees it, rather
    // than accepted and failing every authentication later.
    try {
      createPublicKey({ key: key as JsonWebKey, format: "jwk" });
    } catch (error) {
      const kid = typeof (key as { kid?: unknown }).kid === "string" ? ` (kid "${(key as { kid: string }).kid}")` : "";
      throw new CompileError(field, `key ${i}${kid} is not a usable public key: ${(error as Error).message}`);
    }
  });
  return { keys: keys as Record<string, unknown>[] };
}

function splitPem(field: string, raw: string): string[] {
  const certs = raw.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certs.length === 0) throw new CompileError(field, "holds no PEM certificate");
  return certs;
}

function parseHtpasswd(raw: string): string[] {
  const lines = raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  lines.forEach((line, i) => {
    if (!/^[^:\s]+:\$2[aby]\$\d\d\$.{53}$/.test(line))
      throw new CompileError(
        "spec.identityMapping.userDirectorySecretRef",
        `line ${i + 1} is not "user:<bcrypt hash>"`,
      );
  });
  return lines;
}
