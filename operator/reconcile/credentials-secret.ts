// What an owned credentials Secret holds and how it is named: the data keys (the
// defaults, or the resource's credentials.keys) and the annotations that record the
// credentials state across operator restarts and Redis flushes.
import type { V1Secret } from "@kubernetes/client-node";
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { defaultSecretName } from "../../registry/compile.ts";

export const SecretAnnotation = {
  rotatedAt: "tollgate.dev/secret-rotated-at",
  /** The salted hash of the current client secret: what the registry gets, and how a person's edit is noticed. */
  currentHash: "tollgate.dev/secret-hash",
  previousHash: "tollgate.dev/previous-secret-hash",
  previousExpiresAt: "tollgate.dev/previous-secret-expires-at",
  rotationRequestHandled: "tollgate.dev/rotation-request-handled",
  tokensRevokedBefore: "tollgate.dev/tokens-revoked-before",
  /**
   * The latest spec.revokeTokensIssuedBefore ever applied. Revocation only moves forward:
   * an earlier value in the spec (a revert, a GitOps self-heal) must not revive tokens.
   */
  revokeTokensIssuedBefore: "tollgate.dev/revoke-tokens-issued-before",
} as const;

export const DEFAULT_KEYS = {
  clientId: "client_id",
  clientSecret: "client_secret",
  tokenEndpoint: "token_endpoint",
  issuer: "issuer",
} as const;

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
