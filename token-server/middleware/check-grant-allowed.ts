import type { GrantType } from "../../api/v1alpha1/oauthclient.ts";
import { UnauthorizedClient } from "../errors.ts";
import { authenticatedClient, type Ctx } from "../request-context.ts";

/** The client's registration lists the grant type (RFC 6749 §5.2 unauthorized_client). */
export function checkGrantAllowed(ctx: Ctx, next: () => Promise<void>): Promise<void> {
  const client = authenticatedClient(ctx);
  if (!client.grantTypes.includes(ctx.state.grantType as GrantType))
    throw new UnauthorizedClient(`this client may not use grant_type "${ctx.state.grantType}"`);
  return next();
}
