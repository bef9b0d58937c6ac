// RFC 6749 §4.4: a confidential client gets a token acting as its registered service
// identity (record.subject, else its own client_id), never as a person.
import { resolveAudience } from "../audience.ts";
import { CLIENT_SOURCE, vouchedFor } from "../identity-source.ts";
import { authenticatedClient, authenticatedEntry, type Ctx, param } from "../request-context.ts";
import { resolveScope } from "../scope.ts";
import { refusePublicClient } from "./confidential-only.ts";
import type { Grant, GrantOutcome } from "./grant.ts";

export const clientCredentials: Grant = {
  parameters: new Set(["scope", "resource", "audience"]),
  multiValued: new Set(["resource", "audience"]),
  refreshToken: "never",
  async handler(ctx: Ctx): Promise<GrantOutcome> {
    const client = authenticatedClient(ctx);
    const { server, params } = ctx.state;
    refusePublicClient(ctx, "client_credentials");
    const scope = resolveScope(authenticatedEntry(ctx), param(ctx, "scope"));
    const audience = resolveAudience(client, params.get("resource"), params.get("audience"), server.settings.issuer);
    return { ...vouchedFor(client, CLIENT_SOURCE, client.subject ?? client.clientId), scope, audience };
  },
};
