// RFC 7636 §4.3 and RFC 9700 §2.1.1: S256 only. A public client must send a challenge,
// and so must a confidential one unless its registration turned requirePkce off. A
// challenge without a method means `plain` (§4.3), which is refused like an explicit one.
import { InvalidRequest } from "../errors.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { CODE_CHALLENGE } from "./pkce.ts";

export async function checkPkce(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  const client = ctx.state.client;
  const challenge = ctx.state.params.get("code_challenge")?.[0];
  const method = ctx.state.params.get("code_challenge_method")?.[0];
  if (method !== undefined && method !== "S256")
    throw new InvalidRequest(`code_challenge_method "${method.slice(0, 20)}" is not supported; use S256`);
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest("code_challenge is required with code_challenge_method");
    if (client?.clientType === "public" || client?.requirePkce)
      throw new InvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256");
  } else {
    if (method === undefined)
      throw new InvalidRequest("code_challenge_method=S256 is required (the plain method is not accepted)");
    if (!CODE_CHALLENGE.test(challenge))
      throw new InvalidRequest("code_challenge must be the 43-character base64url SHA-256 of the code verifier");
  }
  await next();
}
