// The grants this token server serves, by grant_type. Later grants add a line here.
import type { GrantType } from "../../api/v1alpha1/oauthclient.ts";
import { clientCredentials } from "./client-credentials.ts";
import type { Grant } from "./grant.ts";

export const grants: ReadonlyMap<string, Grant> = new Map<GrantType, Grant>([
  ["client_credentials", clientCredentials],
]);
