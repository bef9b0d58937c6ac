// The OpenID Connect parameters of an authorization request (Core §3.1.2.1), checked once
// errors can be redirected: `nonce` (kept and echoed in the ID token; optional, since
// the code flow's PKCE already binds the response to the browser that started it),
// `max_age` (a sign-in older than that many seconds does not count), and
// `id_token_hint` (an ID token this server issued to this client: a session of
// another user does not count, so prompt=none answers login_required). Request
// Objects and `registration` are refused (§6, §7.2.1). `prompt` is check-prompt.ts's.
import { InvalidRequest } from "../errors.ts";
import { readIdTokenHint } from "../tokens/id-token.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { NotSupportedParameter } from "./authorize-errors.ts";

/** Long enough for any nonce a library makes (openid-client: 43 characters), short enough to store. */
export const MAX_NONCE_LENGTH = 512;
const MAX_AGE = /^(0|[1-9][0-9]{0,9})$/;

export async function checkOpenIdParameters(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  const { params } = ctx.state;
  if (params.has("request")) throw new NotSupportedParameter("request_not_supported");
  if (params.has("request_uri")) throw new NotSupportedParameter("request_uri_not_supported");
  if (params.has("registration")) throw new NotSupportedParameter("registration_not_supported");
  const nonce = params.get("nonce")?.[0];
  if (nonce !== undefined) {
    if (nonce === "" || nonce.length > MAX_NONCE_LENGTH)
      throw new InvalidRequest(`nonce must be 1 to ${MAX_NONCE_LENGTH} characters`);
    ctx.state.nonce = nonce;
  }
  const maxAge = params.get("max_age")?.[0];
  if (maxAge !== undefined) {
    if (!MAX_AGE.test(maxAge)) throw new InvalidRequest("max_age must be a number of seconds (0 or more)");
    ctx.state.maxAge = Number(maxAge);
  }
  const hint = params.get("id_token_hint")?.[0];
  if (hint !== undefined) {
    const read = await readIdTokenHint(ctx.state.server, hint);
    if (!read || read.clientId !== ctx.state.client?.clientId)
      throw new InvalidRequest("the id_token_hint is not an ID token this server issued to this client");
    ctx.state.hintSub = read.sub;
  }
  await next();
}
