import { CLIENT_AUTH_PARAMETERS } from "../client-auth/extract-credentials.ts";
import { InvalidRequest, UnsupportedGrantType } from "../errors.ts";
import { grants } from "../grants/index.ts";
import type { Ctx } from "../request-context.ts";

/**
 * grant_type present, once, and served here (RFC 6749 §5.2 unsupported_grant_type).
 * Parameters the grant does not take are then ignored (RFC 6749 §3.2: "The
 * authorization server MUST ignore unrecognized request parameters"): dropped before
 * the duplicate check and the grant see them.
 */
export function checkGrantType(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  const values = ctx.state.params.get("grant_type");
  if (!values || values[0] === "") throw new InvalidRequest('the "grant_type" parameter is required');
  if (values.length > 1) throw new InvalidRequest('the "grant_type" parameter must not be repeated');
  const grantType = values[0] as string;
  const grant = grants.get(grantType);
  if (!grant) throw new UnsupportedGrantType(`grant_type "${grantType.slice(0, 100)}" is not supported`);
  ctx.state.grantType = grantType;
  ctx.state.grant = grant;
  for (const name of ctx.state.params.keys())
    if (name !== "grant_type" && !grant.parameters.has(name) && !CLIENT_AUTH_PARAMETERS.has(name))
      ctx.state.params.delete(name);
  return next();
}
