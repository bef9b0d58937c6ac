// The request both assertion grants read before their own checks (RFC 7521 §4.1,
// RFC 8707): the authenticated client, the `assertion` (required), the client's
// identity mapping, and the scope and audience the token will carry. Each grant then
// verifies its assertion and returns the outcome ({sub, scope, audience, claims}).
import type { ClientRecord, CompiledIdentityMapping } from "../../registry/record.ts";
import { resolveAudience } from "../audience.ts";
import { InvalidGrant } from "../errors.ts";
import { refusePublicClient } from "../grants/confidential-only.ts";
import type { Grant } from "../grants/grant.ts";
import { authenticatedClient, authenticatedEntry, type Ctx, param, requiredParam } from "../request-context.ts";
import { resolveScope } from "../scope.ts";
import { identityMapping } from "./identity-mapping.ts";

/** The parameters an assertion grant accepts; `resource` and `audience` may repeat. */
export const ASSERTION_GRANT_PARAMETERS: Pick<Grant, "parameters" | "multiValued" | "refreshToken"> = {
  parameters: new Set(["assertion", "scope", "resource", "audience"]),
  multiValued: new Set(["resource", "audience"]),
  refreshToken: "registered-for-assertions",
};

export interface AssertionRequest {
  client: ClientRecord;
  assertion: string;
  mapping: CompiledIdentityMapping;
  scope: string[];
  audience: string[];
}

/** `maxLength`: refuse a longer assertion (invalid_grant) before anything else reads it. */
export function assertionRequest(ctx: Ctx, maxLength?: number): AssertionRequest {
  const client = authenticatedClient(ctx);
  const { server, params } = ctx.state;
  refusePublicClient(ctx, ctx.state.grantType ?? "assertion");
  const assertion = requiredParam(ctx, "assertion");
  if (maxLength !== undefined && assertion.length > maxLength)
    throw new InvalidGrant(`the assertion is longer than ${maxLength} characters`);
  return {
    client,
    assertion,
    mapping: identityMapping(client),
    scope: resolveScope(authenticatedEntry(ctx), param(ctx, "scope")),
    audience: resolveAudience(client, params.get("resource"), params.get("audience"), server.settings.issuer),
  };
}
