// Shared by the assertion-grant tests: token requests as a confidential client would
// send them (Basic authentication, form body), on top of the token-server fixtures.
import { basic, post } from "../fixtures.ts";

export interface TokenResult {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function tokenRequest(
  url: string,
  client: { clientId: string; secret: string },
  form: Record<string, string>,
  path = "/oauth2/token",
  headers: Record<string, string> = {},
): Promise<TokenResult> {
  const response = await post(`${url}${path}`, new URLSearchParams(form).toString(), {
    "content-type": "application/x-www-form-urlencoded",
    authorization: basic(client.clientId, client.secret),
    ...headers,
  });
  return { status: response.status, headers: response.headers, body: (response.body ?? {}) as Record<string, unknown> };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
