import { InvalidClient, InvalidRequest } from "../errors.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";

/** client_id names a registered, enabled client; otherwise an error page (there is no one to redirect to). */
export async function checkClient(ctx: AuthorizeCtx, next: () => Promise<void>): Promise<void> {
  const values = ctx.state.params.get("client_id");
  if (!values || values[0] === "") throw new InvalidRequest("the request names no application (client_id is missing)");
  if (values.length > 1) throw new InvalidRequest("the request names client_id more than once");
  const clientId = values[0] as string;
  const client = ctx.state.server.clients.get(clientId);
  if (!client) throw unknown(`unknown client "${clientId.slice(0, 200)}"`);
  if (client.disabled) throw unknown("client disabled");
  ctx.state.client = client;
  await next();
}

function unknown(detail: string): InvalidClient {
  return new InvalidClient("the application that sent you here is not registered or not enabled", detail);
}
