// RFC 7591 registration and RFC 7592 management, as OAuthClient resources. A registration
// is a `kubectl apply` made for the caller: the registrar learns who the bearer token
// belongs to (TokenReview) and writes as them (impersonation), so their RBAC, the CRD's
// CEL rules and the tenancy admission policies decide. The resource is the only record:
// RFC 7592 reads build the response from it, so a hand edit shows, and a hand delete ends it.
import { setTimeout as sleep } from "node:timers/promises";
import type { Condition, OAuthClient } from "../api/v1alpha1/oauthclient.ts";
import { changedBeyondOperatorWrites } from "../api/v1alpha1/operator-writes.ts";
import type { Logger } from "../common/logger.ts";
import { parseDuration } from "../registry/duration.ts";
import { metadataToSpec, specToMetadata } from "./client-metadata.ts";
import {
  insufficientScope,
  invalidClientMetadata,
  invalidRequest,
  invalidToken,
  RegistrationError,
  temporarilyUnavailable,
} from "./errors.ts";
import { reviewToken, serviceAccountNamespace } from "./identity.ts";
import type { Identity, KubeRequester } from "./kube-requests.ts";
import { createClient, deleteClient, mayDo, patchClient, readClient, readSecretValue } from "./oauthclients.ts";
import {
  ACCESS_TOKEN_MAC_ANNOTATION,
  type AccessTokenSeal,
  mintAccessToken,
  provenanceAnnotations,
} from "./provenance.ts";

export interface RegistrarOptions {
  /** The registration endpoint's public URL, e.g. https://auth.example.com/register. */
  registrationEndpoint: string;
  /** How long a registration or update waits for the operator to make the client Ready. */
  readyTimeoutMs: number;
}

export interface RegistrationResponse {
  status: number;
  body: Record<string, unknown>;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class Registrar {
  private readonly kube: KubeRequester;
  private readonly seal: AccessTokenSeal;
  private readonly options: RegistrarOptions;
  private readonly log: Logger;

  constructor(kube: KubeRequester, seal: AccessTokenSeal, options: RegistrarOptions, log: Logger) {
    this.kube = kube;
    this.seal = seal;
    this.options = options;
    this.log = log;
  }

  /** RFC 7591 section 3: POST /register with a Kubernetes bearer token. */
  async register(bearer: string, namespaceParam: string | undefined, metadata: unknown): Promise<RegistrationResponse> {
    const caller = await reviewToken(this.kube, bearer);
    const { spec, annotations } = metadataToSpec(metadata);
    const namespace = namespaceParam ?? serviceAccountNamespace(caller.username);
    if (!namespace)
      throw invalidRequest("no namespace: pass ?namespace=NAME (only a ServiceAccount's own namespace is implied)");
    if (!NAMESPACE.test(namespace)) throw invalidRequest(`namespace: "${namespace}" is not a namespace name`);
    await this.requirePermissions(caller, namespace);

    const created = await createClient(
      this.kube,
      caller,
      {
        apiVersion: "tollgate.dev/v1alpha1",
        kind: "OAuthClient",
        metadata: {
          generateName: generateName(spec.displayName),
          namespace,
          annotations: { ...annotations, ...provenanceAnnotations(caller, new Date()) },
        },
        spec,
      },
      namespace,
    );
    const name = created.metadata.name;
    this.log.info("client registered", { key: `${namespace}/${name}`, registered_by: caller.username });
    try {
      const token = mintAccessToken();
      const sealed = await patchClient(this.kube, caller, namespace, name, {
        metadata: { annotations: { [ACCESS_TOKEN_MAC_ANNOTATION]: this.seal.mac(created, token) } },
      });
      if (sealed === "conflict") throw new RegistrationError(409, "server_error", "the new client changed meanwhile");
      const ready = await this.waitForReady(namespace, name, sealed.metadata.generation ?? 1);
      return { status: 201, body: await this.describe(ready, caller, token) };
    } catch (error) {
      // Nothing half-made stays behind: the caller learns no credentials for it.
      await deleteClient(this.kube, caller, namespace, name).catch((e: unknown) =>
        this.log.warn("could not delete a failed registration", { key: `${namespace}/${name}`, err: e }),
      );
      throw error;
    }
  }

  /** RFC 7592 section 2.1. The token is used up: the response carries its successor. */
  async read(namespace: string, name: string, token: string): Promise<RegistrationResponse> {
    const { resource, identity } = await this.authorize(namespace, name, token);
    const { rotated, next } = await this.rotate(resource, identity, {});
    return { status: 200, body: await this.describe(rotated, identity, next) };
  }

  /** RFC 7592 section 2.2: the metadata replaces what the registration owns; hand-set fields stay. */
  async update(namespace: string, name: string, token: string, metadata: unknown): Promise<RegistrationResponse> {
    const { resource, identity } = await this.authorize(namespace, name, token);
    const given = (typeof metadata === "object" && metadata !== null ? metadata : {}) as Record<string, unknown>;
    if (given.client_id !== resource.status?.clientId)
      throw invalidRequest("client_id: must be this client's client_id (RFC 7592 section 2.2)");
    if (given.client_secret !== undefined) {
      const current = await this.clientSecret(resource, identity);
      if (given.client_secret !== current) throw invalidRequest("client_secret: does not match the current secret");
    }
    // RFC 7592 section 2.2 says a client leaves out the fields only the server sets; one that
    // echoes them back is not refused for it: they are ignored, like client_id and client_secret.
    const {
      client_id: _id,
      client_secret: _secret,
      registration_access_token: _token,
      registration_client_uri: _uri,
      client_id_issued_at: _issued,
      client_secret_expires_at: _expires,
      ...rest
    } = given;
    const { spec, annotations } = metadataToSpec(rest, resource.spec);
    // A merge patch keeps what it does not name: metadata the update leaves out is removed with null.
    const removed = Object.fromEntries(
      Object.keys(resource.spec)
        .filter((f) => !(f in spec))
        .map((f) => [f, null]),
    );
    const { rotated, next } = await this.rotate(resource, identity, { spec: { ...removed, ...spec }, annotations });
    const ready = await this.waitForReady(namespace, name, rotated.metadata.generation ?? 1);
    return { status: 200, body: await this.describe(ready, identity, next) };
  }

  /** RFC 7592 section 2.3: deletes the resource (the operator then removes the client from the registry). */
  async remove(namespace: string, name: string, token: string): Promise<RegistrationResponse> {
    const { identity } = await this.authorize(namespace, name, token);
    await deleteClient(this.kube, identity, namespace, name);
    this.log.info("client deleted through RFC 7592", { key: `${namespace}/${name}` });
    return { status: 204, body: {} };
  }

  private async requirePermissions(caller: Identity, namespace: string): Promise<void> {
    const needs = [
      { verb: "create", group: "tollgate.dev", resource: "oauthclients", namespace },
      { verb: "get", group: "", resource: "secrets", namespace },
    ];
    for (const need of needs)
      if (!(await mayDo(this.kube, caller, need)))
        throw insufficientScope(
          `${caller.username} may not ${need.verb} ${need.resource} in namespace ${namespace} (Kubernetes RBAC)`,
        );
  }

  private async authorize(namespace: string, name: string, token: string) {
    const resource = NAMESPACE.test(namespace) ? await readClient(this.kube, namespace, name) : undefined;
    // RFC 7592 section 2.1: an unknown client answers like a bad token (401), revealing nothing.
    const identity = resource ? this.seal.verify(resource, token) : undefined;
    if (!resource || !identity) throw invalidToken("the registration access token is not valid for this client");
    return { resource, identity };
  }

  /**
   * Writes `change` with a fresh token's MAC, only if nobody changed the resource since it
   * was read. The operator's own writes (status, its finalizer) change the resourceVersion
   * too, but they are neither a use of the token nor an edit: a conflict is retried on the
   * resource as it is now when only those moved (same generation, labels and annotations:
   * the token's MAC annotation among them, so a concurrent use of the token still wins).
   */
  private async rotate(read: OAuthClient, identity: Identity, change: { spec?: unknown; annotations?: object }) {
    const next = mintAccessToken();
    const { namespace = "", name } = read.metadata;
    let resource = read;
    for (let attempt = 1; ; attempt++) {
      const patch = {
        metadata: {
          resourceVersion: resource.metadata.resourceVersion,
          annotations: { ...change.annotations, [ACCESS_TOKEN_MAC_ANNOTATION]: this.seal.mac(resource, next) },
        },
        ...(change.spec ? { spec: change.spec } : {}),
      };
      const rotated = await patchClient(this.kube, identity, namespace, name, patch);
      if (rotated !== "conflict") return { rotated, next };
      const now = await readClient(this.kube, namespace, name);
      // A concurrent use of the same token, or a hand edit meanwhile: the token is spent either way.
      if (attempt === 3 || !onlyOperatorWritesBetween(read, now))
        throw invalidToken("the registration access token was used concurrently");
      resource = now;
    }
  }

  private async waitForReady(namespace: string, name: string, generation: number): Promise<OAuthClient> {
    const deadline = Date.now() + this.options.readyTimeoutMs;
    for (;;) {
      const resource = await readClient(this.kube, namespace, name);
      if (!resource) throw invalidClientMetadata(`${namespace}/${name} was deleted while it was being registered`);
      const observed = (resource.status?.observedGeneration ?? 0) >= generation;
      const ready = condition(resource, "Ready");
      const stalled = condition(resource, "Stalled");
      if (observed && ready?.status === "True" && resource.status?.clientId) return resource;
      // Stalled: nothing changes until a person does (an OAuthClientPolicy the operator applies, say).
      if (observed && stalled?.status === "True") throw invalidClientMetadata(stalled.message);
      if (Date.now() >= deadline)
        throw temporarilyUnavailable(
          `${namespace}/${name} was not Ready within ${this.options.readyTimeoutMs / 1000}s: ${ready?.message ?? "the operator has not reconciled it"}`,
        );
      await sleep(200);
    }
  }

  private async clientSecret(resource: OAuthClient, identity: Identity): Promise<string | undefined> {
    const secretName = resource.status?.secretName;
    if (resource.spec.clientType === "public" || !secretName) return undefined;
    const key = resource.spec.credentials?.keys?.clientSecret ?? "client_secret";
    return readSecretValue(this.kube, identity, resource.metadata.namespace ?? "", secretName, key);
  }

  /** The client information response (RFC 7591 section 3.2.1, RFC 7592 section 3), from the resource as it is. */
  private async describe(resource: OAuthClient, identity: Identity, token: string): Promise<Record<string, unknown>> {
    const secret = await this.clientSecret(resource, identity);
    const { namespace = "", name, creationTimestamp } = resource.metadata;
    return {
      client_id: resource.status?.clientId,
      ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: secretExpiry(resource) }),
      client_id_issued_at: Math.floor(Date.parse(creationTimestamp ?? new Date().toISOString()) / 1000),
      ...specToMetadata(resource),
      registration_client_uri: `${this.options.registrationEndpoint}/${namespace}/${encodeURIComponent(name)}`,
      registration_access_token: token,
    };
  }
}

function condition(resource: OAuthClient, type: string): Condition | undefined {
  return resource.status?.conditions?.find((c) => c.type === type);
}

/** When the current secret is due for rotation (RFC 7591: 0 = never expires). */
export function secretExpiry(resource: OAuthClient): number {
  const every = resource.spec.credentials?.rotation?.every;
  const rotatedAt = resource.status?.secretRotatedAt;
  if (!every || !rotatedAt) return 0;
  return Math.floor(Date.parse(rotatedAt) / 1000) + parseDuration(every);
}

/** `metadata.generateName` from the client's name: lower-case DNS characters, bounded, never empty. */
export function generateName(displayName: string | undefined): string {
  const slug = (displayName ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return `${slug || "client"}-`;
}

/** Whether `now` is the resource read, changed only by the operator's own writes (api/v1alpha1/operator-writes.ts). */
export function onlyOperatorWritesBetween(read: OAuthClient, now: OAuthClient | undefined): now is OAuthClient {
  return now !== undefined && now.metadata.uid === read.metadata.uid && !changedBeyondOperatorWrites(read, now);
}
