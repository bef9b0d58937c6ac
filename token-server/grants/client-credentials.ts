// RFC 6749 §4.4: a confidential client gets a token acting as its registered service
// identity (record.subject, else its own client_id), never as a person.
import { resolveAudience } from "../audience.ts";
import { authenticatedClient, type Ctx, param } from "../context.ts";
import { UnauthorizedClient } from "../errors.ts";
import { sendJson } from "../respond.ts";
import { resolveScope } from "../scope.ts";
import { issueAccessToken } from "../tokens/issue-access-token.ts";
import type { Grant, TokenResponse } from "./grant.ts";

export const clientCredentials: Grant = {
  parameters: new Set(["scope", "resource", "audience"]),
  multiValued: new Set(["resource", "audience"]),
  async handler(ctx: Ctx): Promise<void> {
    const client = authenticatedClient(ctx);
    const { server, params } = ctx.state;
    if (ctx.state.authMethod === "none" || client.clientType === "public")
      throw new UnauthorizedClient("the client_credentials grant is for confidential clients only");
    const scope = resolveScope(client, param(ctx, "scope"));
    const audience = resolveAudience(client, params.get("resource"), params.get("audience"), server.settings.issuer);
    const issued = await issueAccessToken(server, {
      client,
      sub: client.subject ?? client.clientId,
      audience,
      scope,
    });
    const body: TokenResponse = { access_token: issued.token, token_type: "Bearer", expires_in: issued.expiresIn };
    if (issued.scope.length > 0) body.scope = issued.scope.join(" ");
    sendJson(ctx, body);
  },
};
