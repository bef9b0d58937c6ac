// What the registrar writes on the OAuthClients it creates: who registered it and when
// (for people: `kubectl describe`), and the registration access token's MAC (for RFC 7592).
//
// The token is stored only as HMAC-SHA256 under the registrar's key, over the token, the
// resource's uid and the recorded identity. The MAC is what makes the recorded identity
// safe to impersonate later: anyone who may edit the resource may edit its annotations,
// but without the key they cannot make a token that matches a changed identity (say,
// group system:masters), a copied annotation set (another uid) or a token of their own.
// A hand edit that removes or changes these annotations ends RFC 7592 access; it never
// grants more.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { OAuthClient } from "../api/v1alpha1/oauthclient.ts";
import type { Identity } from "./kube-requests.ts";

export const REGISTERED_BY_ANNOTATION = "tollgate.dev/registered-by";
export const REGISTERED_AT_ANNOTATION = "tollgate.dev/registered-at";
/** JSON {uid, groups} of the registering identity: what RFC 7592 requests act as. */
export const REGISTERED_IDENTITY_ANNOTATION = "tollgate.dev/registered-identity";
export const ACCESS_TOKEN_MAC_ANNOTATION = "tollgate.dev/registration-access-token-mac";

/** The prefix marks the credential's kind (and lets test/log-leak find it in a log line). */
const TOKEN_PREFIX = "tgra_";

export function mintAccessToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export function provenanceAnnotations(identity: Identity, now: Date): Record<string, string> {
  return {
    [REGISTERED_BY_ANNOTATION]: identity.username,
    [REGISTERED_AT_ANNOTATION]: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    [REGISTERED_IDENTITY_ANNOTATION]: JSON.stringify({ uid: identity.uid ?? "", groups: identity.groups }),
  };
}

export class AccessTokenSeal {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = key;
    if (key.length < 32) throw new Error("the registrar key must hold at least 32 bytes");
  }

  /** The annotation value for `token` on `resource` (which must carry its provenance annotations). */
  mac(resource: OAuthClient, token: string): string {
    const annotations = resource.metadata.annotations ?? {};
    return createHmac("sha256", this.key)
      .update(
        JSON.stringify([
          resource.metadata.uid ?? "",
          annotations[REGISTERED_BY_ANNOTATION] ?? "",
          annotations[REGISTERED_IDENTITY_ANNOTATION] ?? "",
          token,
        ]),
      )
      .digest("base64url");
  }

  /**
   * The identity to act as when `token` is this resource's registration access token, else
   * undefined (wrong, used-up or hand-removed token; resource not made by the registrar).
   */
  verify(resource: OAuthClient, token: string): Identity | undefined {
    const annotations = resource.metadata.annotations ?? {};
    const stored = annotations[ACCESS_TOKEN_MAC_ANNOTATION];
    const username = annotations[REGISTERED_BY_ANNOTATION];
    if (!stored || !username || !token.startsWith(TOKEN_PREFIX)) return undefined;
    const expected = Buffer.from(this.mac(resource, token));
    const given = Buffer.from(stored);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    const recorded = JSON.parse(annotations[REGISTERED_IDENTITY_ANNOTATION] ?? "{}") as {
      uid?: string;
      groups?: string[];
    };
    return { username, ...(recorded.uid ? { uid: recorded.uid } : {}), groups: recorded.groups ?? [] };
  }
}
