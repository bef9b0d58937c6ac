// The rest of the authorization request, checked once errors can be redirected to the
// client: repeated parameters, response_type, the client's grant, and response_mode.
import { InvalidRequest, UnauthorizedClient } from "../errors.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { UnsupportedResponseType } from "./authorize-errors.ts";

/** RFC 8707 lets `resource` repeat; nothing else may (RFC 6749 §3.1). */
const MULTI_VALUED = new Set(["resource", "audience"]);

export async function rejectRepeatedParameters(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  for (const [name, values] of ctx.state.params)
    if (values.length > 1 && !MULTI_VALUED.has(name))
      throw new InvalidRequest(`the "${name.slice(0, 100)}" parameter must not be repeated`);
  await next();
}

export async function checkResponseType(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  const responseType = ctx.state.params.get("response_type")?.[0];
  if (!responseType) throw new InvalidRequest('the "response_type" parameter is required');
  if (responseType !== "code")
    throw new UnsupportedResponseType(`response_type "${responseType.slice(0, 100)}" is not supported; use "code"`);
  const mode = ctx.state.params.get("response_mode")?.[0];
  if (mode !== undefined && mode !== "query")
    throw new InvalidRequest(`response_mode "${mode.slice(0, 100)}" is not supported; use "query"`);
  await next();
}

export async function checkCodeGrantAllowed(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  if (!ctx.state.client?.grantTypes.includes("authorization_code"))
    throw new UnauthorizedClient("this client may not use the authorization code grant");
  await next();
}
