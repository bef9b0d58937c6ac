import { InvalidRequest } from "../errors.ts";
import type { AuthorizeCtx, Prompt } from "./authorize-context.ts";

const PROMPTS = new Set<string>(["none", "login", "consent"]);

/**
 * `prompt` (OpenID Connect Core §3.1.2.1, which OAuth clients use too): `none` shows
 * no page at all (login_required / consent_required instead), `login` asks for the
 * password even with a session, `consent` asks again even when consent is remembered.
 */
export async function checkPrompt(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  const raw = ctx.state.params.get("prompt")?.[0];
  const values = raw === undefined || raw === "" ? [] : raw.split(" ");
  for (const value of values)
    if (!PROMPTS.has(value)) throw new InvalidRequest(`prompt "${value.slice(0, 50)}" is not supported`);
  if (values.includes("none") && values.length > 1)
    throw new InvalidRequest('prompt "none" cannot be combined with other values');
  ctx.state.prompt = values as Prompt[];
  await next();
}
