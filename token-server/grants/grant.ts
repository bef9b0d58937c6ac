import type { OAuthError } from "../errors.ts";
import type { Identity } from "../identity-source.ts";
import type { Ctx } from "../request-context.ts";
import type { RefreshTokenRecord } from "../state/token-records.ts";
import type { GrantParameters } from "./parameters.ts";

/**
 * A grant type the token endpoint serves. The endpoint looks the grant up by
 * `grant_type`, ignores parameters the grant does not take (RFC 6749 §3.2), rejects
 * repeated ones (except `multiValued` ones), checks the client may use it, and calls `handler`,
 * which decides what the tokens carry (or throws an OAuthError). The tokens and the
 * RFC 6749 §5.1 response are tokens/issue.ts's. Adding a grant is adding a module to
 * grants/index.ts.
 */
export interface Grant extends GrantParameters {
  /**
   * When a new refresh token comes with the access token, provided the client is
   * registered for refresh_token: never, always, or only if the client's registration
   * allows refresh tokens for assertion grants.
   */
  refreshToken: "never" | "registered" | "registered-for-assertions";
  handler(ctx: Ctx): Promise<GrantOutcome>;
}

/** What a grant decided the tokens carry. */
export interface GrantOutcome {
  /** The token's subject (identity-source.ts: prefixed with its source when the client has several). */
  sub: string;
  /** Who vouched for the subject; kept with a refresh token so a refresh can check it still does. */
  identity?: Identity;
  scope: string[];
  audience: string[];
  /**
   * Extra access-token claims (identity mapping's claimMappings, auth_time). They never
   * replace a claim this server sets.
   */
  claims?: Record<string, unknown>;
  /** The family the tokens join, chosen before issuance (an authorization code's); default a new one. */
  family?: PresetFamily;
  /** A refresh grant: the presented token's record, and whether it is reused or succeeded. */
  continues?: ContinuedRefresh;
  /** OpenID Connect: an ID token comes too when the access token's scope has `openid` (tokens/id-token.ts). */
  idToken?: { authTime: number; nonce?: string };
}

export interface PresetFamily {
  id: string;
  /** When the person signed in (epoch seconds). */
  authTime: number;
  /** How long the family's records must last when no refresh token is issued (epoch seconds). */
  expiresAt: number;
  /** The answer when the family is revoked while its tokens are issued (a replay won the race). */
  revoked: () => OAuthError;
}

export interface ContinuedRefresh {
  /** The refresh token as presented, handed back as it is under `reuse`. */
  presented: string;
  record: RefreshTokenRecord;
  /** reuse: the same refresh token again; otherwise a successor expiring at `expiresAt`. */
  successor: { expiresAt: number } | "reuse";
  revoked: () => OAuthError;
}

/** The RFC 6749 §5.1 success body. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  /** OpenID Connect Core §3.1.3.3. */
  id_token?: string;
}
