// The cluster's service-account issuer as the token server trusts it: its OpenID
// discovery document (issuer + "/.well-known/openid-configuration"), whose `issuer` must
// be the configured one, and the JWKS it names (on kube-apiserver, /openid/v1/jwks).
// The discovery is read on first use and again after a failure; the keys are jose's
// remote set: refetched when a token names a kid the set lacks (the API server's key
// was rotated), at most once per cooldown, and otherwise after maxAge.
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from "jose";
import { JWKS_COOLDOWN_MS, JWKS_MAX_AGE_MS } from "../verification-keys.ts";
import type { IssuerFetch } from "./issuer-fetch.ts";

const TIMEOUT_MS = 5_000;

export interface ServiceAccountIssuerOptions {
  /** The `iss` of the cluster's ServiceAccount tokens (kube-apiserver --service-account-issuer). */
  issuer: string;
  /** The `aud` a token must carry to authenticate here: the Tollgate issuer unless configured. */
  audience: string;
  fetch: IssuerFetch;
}

export class ServiceAccountIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly #fetch: IssuerFetch;
  #keys: Promise<JWTVerifyGetKey> | undefined;

  constructor(options: ServiceAccountIssuerOptions) {
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.#fetch = options.fetch;
  }

  /** The issuer's verification keys; throws (and tries again next time) when discovery fails. */
  keys(): Promise<JWTVerifyGetKey> {
    this.#keys ??= this.#discover().catch((error: unknown) => {
      this.#keys = undefined;
      throw error;
    });
    return this.#keys;
  }

  async #discover(): Promise<JWTVerifyGetKey> {
    const url = `${this.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const response = await this.#fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error(`service-account issuer discovery ${url}: HTTP ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
    if (document.issuer !== this.issuer)
      throw new Error(`service-account issuer discovery names issuer ${String(document.issuer)}, not ${this.issuer}`);
    if (typeof document.jwks_uri !== "string") throw new Error(`service-account issuer discovery has no jwks_uri`);
    const fetchKeys = this.#fetch;
    return createRemoteJWKSet(new URL(document.jwks_uri), {
      timeoutDuration: TIMEOUT_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      [customFetch]: (input, init) => fetchKeys(String(input), { signal: init.signal }),
    });
  }
}
