// The registry contract: what the operator writes and the token server reads.
// One record per client, self-contained, so the token server never reads Kubernetes.
// Bump REGISTRY_VERSION (and the key prefix with it) on any incompatible change.

import type {
  ClaimMapping,
  ClientType,
  GrantType,
  RefreshIssuance,
  TokenEndpointAuthMethod,
} from "../api/v1alpha1/oauthclient.ts";
import type { UserClaims } from "./user-claims.ts";

export const REGISTRY_VERSION = 1;

export interface JsonWebKeySet {
  keys: Record<string, unknown>[];
}

/** A stored secret hash, see secret-hash.ts. `expiresAt` (epoch ms) is set on a previous secret in its grace window. */
export interface StoredSecret {
  hash: string;
  expiresAt?: number;
}

export interface CompiledJwtIssuer {
  issuer: string;
  jwks?: JsonWebKeySet;
  jwksUri?: string;
  subjectClaim: string;
  algorithms: string[];
  /** When set, the only subjects this issuer may assert. */
  allowedSubjects?: string[];
}

export interface CompiledSamlIdp {
  entityId: string;
  certificates: string[];
  subjectAttribute?: string;
  /** When set, the only subjects this IdP may assert. */
  allowedSubjects?: string[];
}

export interface CompiledIdentityMapping {
  jwtIssuers: CompiledJwtIssuer[];
  samlIdps: CompiledSamlIdp[];
  claimMappings: ClaimMapping[];
  audiences: string[];
  maxAssertionAgeSeconds: number;
  /** bcrypt htpasswd lines ("user:$2y$..."), for the password grant and the login page. */
  users?: string[];
  /** The directory's OpenID Connect claims per username (user-claims.ts), from the same Secret. */
  userClaims?: Record<string, UserClaims>;
}

/** A ServiceAccount that may authenticate as the client (workload identity). */
export interface AllowedServiceAccount {
  name: string;
  /**
   * The UID of the ServiceAccount the operator saw: a token must carry it, so a token of
   * a deleted ServiceAccount (or of an earlier one of the same name) is refused. Absent in
   * standalone mode, where nothing watches ServiceAccounts: the name alone is checked.
   */
  uid?: string;
}

/** Secretless in-cluster clients: projected ServiceAccount tokens of the client's namespace. */
export interface CompiledWorkloadIdentity {
  /** Only the ServiceAccounts that exist (operator), each with its UID; a deleted one is left out. */
  serviceAccounts: AllowedServiceAccount[];
  tokenReuse: "allow" | "once";
}

export interface ClientRecord {
  registryVersion: typeof REGISTRY_VERSION;
  clientId: string;
  /** Where the record came from: "namespace/name" of the OAuthClient, or a file path in standalone mode. */
  source: string;
  /**
   * The namespace the OAuthClient was declared in ("default" in standalone mode): every
   * access token carries it, so a resource server can tell which tenant vouched for the
   * client. (Absent only in a record an operator before this field wrote.)
   */
  namespace: string;
  sourceUid: string;
  generation: number;
  displayName: string;
  clientType: ClientType;
  grantTypes: GrantType[];
  redirectUris: string[];
  /** Where RP-initiated logout may send the browser afterwards (OpenID Connect RP-Initiated Logout §3). */
  postLogoutRedirectUris?: string[];
  scopes: string[];
  defaultScopes: string[];
  audiences: string[];
  defaultAudience?: string;
  subject?: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Current secret first; a previous one follows while its grace window lasts. */
  secrets: StoredSecret[];
  /** The client's keys for private_key_jwt (inline or resolved from a Secret). */
  jwks?: JsonWebKeySet;
  jwksUri?: string;
  /** The ServiceAccounts whose projected tokens authenticate as this client (workload_identity). */
  workloadIdentity?: CompiledWorkloadIdentity;
  accessToken: { lifetimeSeconds: number; format: "jwt" | "opaque" };
  refreshToken: { lifetimeSeconds: number; issuance: RefreshIssuance; forAssertionGrants: boolean };
  identityMapping?: CompiledIdentityMapping;
  skipConsent: boolean;
  requirePkce: boolean;
  disabled: boolean;
  /** Epoch seconds; tokens with an earlier iat are dead. */
  revokeTokensIssuedBefore?: number;
  /** Epoch ms of the write, for staleness checks and debugging. */
  updatedAt: number;
}

/** A change notification, published after every write. */
export interface RegistryChange {
  /** "initialised": the operator finished (re)building the whole registry; readers reload it. */
  op: "put" | "delete" | "initialised";
  clientId: string;
  revision: number;
}

/** Epoch seconds of a deleted client's removal: its tokens stay dead even if the ID comes back. */
export type Tombstones = Map<string, number>;

export interface RegistrySnapshot {
  revision: number;
  /** Whether an operator has built the whole registry since Redis last started empty. */
  initialised: boolean;
  clients: Map<string, ClientRecord>;
  tombstones: Tombstones;
}

/** A stored record that did not verify (registry/record-seal.ts says why it can fail). */
export interface RecordRejection {
  clientId: string;
  reason: "unsigned" | "malformed" | "unknown_key" | "bad_mac" | "wrong_client";
}

/** Write side (the operator, standalone mode). Every method is idempotent. */
export interface RegistryWriter {
  put(record: ClientRecord): Promise<void>;
  /** Removes the client and records a tombstone so its tokens stay dead. */
  delete(clientId: string, deletedAtSeconds: number): Promise<void>;
  get(clientId: string): Promise<ClientRecord | undefined>;
  /** Whether the registry is marked as built (registry-keys.ts `initialised`). */
  initialised(): Promise<boolean>;
  /** Marks the registry as built and tells the readers to reload it. */
  markInitialised(): Promise<void>;
  /** The record and whether it is authenticated with the current record key (else it is due a rewrite). */
  read(clientId: string): Promise<{ record: ClientRecord; currentKey: boolean } | undefined>;
}

/** Read side (the token server). */
export interface RegistryReader {
  snapshot(): Promise<RegistrySnapshot>;
  /** Calls back on every change; returns a function that unsubscribes. */
  subscribe(onChange: (change: RegistryChange) => void): Promise<() => Promise<void>>;
  get(clientId: string): Promise<ClientRecord | undefined>;
  /** The current revision alone: a cheap "has anything changed?" before a full snapshot. */
  revision?(): Promise<number>;
  /** Calls back for every stored record refused because it does not verify (records from Redis only). */
  onRejectedRecord?(listener: (rejection: RecordRejection) => void): void;
}

export type Registry = RegistryWriter & RegistryReader;
