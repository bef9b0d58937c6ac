// Which copy of an object a reconcile starts from, when the informer's copy saves a
// request. A reconcile used to read every OAuthClient and its credentials Secret live,
// so that it never decides from a copy older than the operator's own last write (a
// status written, a finalizer added, a Secret created: acting on the copy from before
// could rotate twice or report a Secret missing that it has just created). At 10,000
// clients those reads were a third of the operator's API requests (issue "Scale"), and
// the informer already holds a copy that is current in the cases that matter:
// - an OAuthClient the operator has not written since it started, or whose cached copy
//   is exactly the version its last write produced, is current in the cache (the
//   resourceVersion is compared for equality only, as the API conventions allow);
// - a credentials Secret that is not in the (synced) cache, for a client that has never
//   had credentials, and whose create has not conflicted, does not exist: and if it
//   does after all, the create is refused with a conflict (it is atomic), the name is
//   remembered, and every later reconcile reads it live.
// Anything else reads live, as before.
import type { OAuthClient } from "../../api/v1alpha1/oauthclient.ts";
import { objectKey } from "../kube.ts";

interface Versioned {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
}

export class CachedReads {
  /** The resourceVersion each OAuthClient got from the operator's last write to it. */
  readonly #written = new Map<string, string>();
  /** Credentials Secrets whose create conflicted: one exists that the cache does not show. */
  readonly #secretsSeenLive = new Set<string>();

  /** After a write of the operator's own to an OAuthClient (finalizer, status). */
  wroteOAuthClient(resource: Versioned): void {
    const { namespace, name, resourceVersion } = resource.metadata ?? {};
    if (resourceVersion) this.#written.set(objectKey(namespace, name ?? ""), resourceVersion);
  }

  /** The OAuthClient is gone (its delete event): nothing to remember. */
  forgetOAuthClient(resource: Versioned): void {
    this.#written.delete(objectKey(resource.metadata?.namespace, resource.metadata?.name ?? ""));
  }

  /** Whether the cached copy is at least as new as the operator's own last write to it. */
  oauthClientIsCurrent(cached: OAuthClient): boolean {
    const last = this.#written.get(objectKey(cached.metadata.namespace, cached.metadata.name));
    return last === undefined || last === cached.metadata.resourceVersion;
  }

  /** A create of this Secret conflicted: from now on it is read live. */
  secretExists(namespace: string, name: string): void {
    this.#secretsSeenLive.add(objectKey(namespace, name));
  }

  forgetSecret(namespace: string, name: string): void {
    this.#secretsSeenLive.delete(objectKey(namespace, name));
  }

  /**
   * Whether the credentials Secret of a client is known not to exist without asking:
   * the client never had credentials (status.secretRotatedAt unset), the synced cache
   * does not hold the Secret, and no create of it has conflicted.
   */
  secretKnownAbsent(resource: OAuthClient, secretName: string, inCache: boolean): boolean {
    if (resource.status?.secretRotatedAt !== undefined || inCache) return false;
    return !this.#secretsSeenLive.has(objectKey(resource.metadata.namespace, secretName));
  }
}
