import type { Ctx } from "../context.ts";

/**
 * A grant type the token endpoint serves. The endpoint looks the grant up by
 * `grant_type`, checks the client may use it, rejects repeated parameters (except
 * `multiValued` ones), and calls `handler`, which sets ctx.body on success or throws
 * an OAuthError. Adding a grant is adding a module to grants/index.ts.
 */
export interface Grant {
  /** Parameters the grant reads, besides grant_type and client authentication's. */
  parameters: ReadonlySet<string>;
  /** Parameters a spec lets repeat (RFC 8707 `resource`). */
  multiValued: ReadonlySet<string>;
  handler(ctx: Ctx): Promise<void>;
}

/** The RFC 6749 §5.1 success body. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}
