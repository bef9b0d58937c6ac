import type { KeyRing } from "../key-ring.ts";
import type { Ctx } from "../request-context.ts";

/** GET /oauth2/jwks: the public keys (current, next, previous) verifiers need across a rotation. */
export function jwks(keys: KeyRing) {
  return async function serveJwks(ctx: Ctx): Promise<void> {
    ctx.set("Cache-Control", "public, max-age=60");
    ctx.type = "application/jwk-set+json";
    ctx.body = JSON.stringify(keys.jwks);
  };
}
