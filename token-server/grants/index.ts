// The grants this token server serves, by grant_type. Later grants add a line here.
import type { GrantType } from "../../api/v1alpha1/oauthclient.ts";
import { authorizationCode } from "./authorization-code.ts";
import { clientCredentials } from "./client-credentials.ts";
import type { Grant } from "./grant.ts";
import { JWT_BEARER, jwtBearer } from "./jwt-bearer.ts";
import { password } from "./password.ts";
import { refreshToken } from "./refresh-token.ts";
import { SAML2_BEARER, saml2Bearer } from "./saml2-bearer.ts";

export const grants: ReadonlyMap<string, Grant> = new Map<GrantType, Grant>([
  ["client_credentials", clientCredentials],
  ["authorization_code", authorizationCode],
  ["refresh_token", refreshToken],
  ["password", password],
  [JWT_BEARER, jwtBearer],
  [SAML2_BEARER, saml2Bearer],
]);
