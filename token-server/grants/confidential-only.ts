// Grants for confidential clients only: client_credentials (the client acts as itself),
// password and the assertion grants (the client vouches for a person's credentials or
// an assertion; RFC 6749 §4.3.2 and RFC 7521 §4.1 assume a client that authenticates).
// The CRD refuses a public client with these grants, and each grant refuses one
// itself too, so a record that bypassed admission (standalone YAML, a hand-written
// registry entry) cannot widen what a secret-less client may do.
import { UnauthorizedClient } from "../errors.ts";
import { authenticatedClient, type Ctx } from "../request-context.ts";

export function refusePublicClient(ctx: Ctx, grant: string): void {
  if (ctx.state.authMethod === "none" || authenticatedClient(ctx).clientType === "public")
    throw new UnauthorizedClient(`the ${grant} grant is for confidential clients only`);
}
