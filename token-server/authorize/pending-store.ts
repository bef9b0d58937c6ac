// Authorization requests waiting for the user, in the token state under a random ID
// that travels in the login and consent forms. They last PENDING_LIFETIME_SECONDS:
// long enough to type a password, short enough that a forgotten tab goes stale.

import type { TokenServer } from "../request-context.ts";
import type { PendingAuthorization } from "./authorize-context.ts";

export const PENDING_LIFETIME_SECONDS = 10 * 60;

export async function savePending(server: TokenServer, pending: PendingAuthorization): Promise<void> {
  const remaining = pending.createdAt + PENDING_LIFETIME_SECONDS - Math.floor(Date.now() / 1000);
  await server.state.interactions.put("interaction", pending.id, pending, Math.max(1, remaining));
}

export async function loadPending(server: TokenServer, id: string): Promise<PendingAuthorization | undefined> {
  if (!/^[A-Za-z0-9_-]{22,64}$/.test(id)) return undefined;
  return server.state.interactions.get<PendingAuthorization>("interaction", id);
}

export async function deletePending(server: TokenServer, id: string): Promise<void> {
  await server.state.interactions.delete("interaction", id);
}
