// Consent, remembered per user and client for CONSENT_LIFETIME_SECONDS in the token
// state: the scopes and audiences the user allowed. A request for anything more asks
// again; a client registered with skipConsent (a first-party app) never asks.
import { createHash } from "node:crypto";
import type { ClientRecord } from "../../registry/record.ts";
import type { TokenServer } from "../request-context.ts";

export const CONSENT_LIFETIME_SECONDS = 90 * 24 * 3600;

interface RememberedConsent {
  scope: string[];
  audience: string[];
  grantedAt: number;
}

const keyOf = (clientId: string, sub: string) => createHash("sha256").update(`${clientId}\0${sub}`).digest("base64url");

export async function consentCovers(
  server: TokenServer,
  client: ClientRecord,
  sub: string,
  wanted: { scope: string[]; audience: string[] },
): Promise<boolean> {
  if (client.skipConsent) return true;
  const remembered = await server.state.interactions.get<RememberedConsent>("consent", keyOf(client.clientId, sub));
  if (!remembered) return false;
  return (
    wanted.scope.every((s) => remembered.scope.includes(s)) &&
    wanted.audience.every((a) => remembered.audience.includes(a))
  );
}

export async function rememberConsent(
  server: TokenServer,
  client: ClientRecord,
  sub: string,
  granted: { scope: string[]; audience: string[] },
): Promise<void> {
  const key = keyOf(client.clientId, sub);
  const before = await server.state.interactions.get<RememberedConsent>("consent", key);
  const merged: RememberedConsent = {
    scope: [...new Set([...(before?.scope ?? []), ...granted.scope])],
    audience: [...new Set([...(before?.audience ?? []), ...granted.audience])],
    grantedAt: Math.floor(Date.now() / 1000),
  };
  await server.state.interactions.put("consent", key, merged, CONSENT_LIFETIME_SECONDS);
}
