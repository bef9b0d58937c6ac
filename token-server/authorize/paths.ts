// Where the browser side of the authorization endpoint lives. Pages link to these
// under the issuer's path, so an issuer behind a path-prefix proxy still works.

export const AUTHORIZE_PATHS = {
  authorize: "/oauth2/authorize",
  /** GET: picks up a pending authorization request after login (POST-redirect-GET). */
  continue: "/oauth2/authorize/continue",
  login: "/oauth2/authorize/login",
  consent: "/oauth2/authorize/consent",
  stylesheet: "/oauth2/assets/tollgate.css",
} as const;

/** The issuer's path without a trailing slash ("" for an issuer at the root). */
export function issuerPath(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/+$/, "");
}

export function authorizationEndpoint(issuer: string): string {
  return `${issuer.replace(/\/+$/, "")}${AUTHORIZE_PATHS.authorize}`;
}

/** OpenID Connect's endpoints besides the authorization endpoint (Core §5.3, RP-Initiated Logout §2). */
export const OPENID_PATHS = {
  userinfo: "/oauth2/userinfo",
  endSession: "/oauth2/logout",
} as const;

export function openidEndpoint(issuer: string, path: (typeof OPENID_PATHS)[keyof typeof OPENID_PATHS]): string {
  return `${issuer.replace(/\/+$/, "")}${path}`;
}
