// Shared parts of the authorization code tests: clients with a user directory, and a
// small cookie-keeping HTTP user agent for the tests that do not need a real browser
// (the browser test drives Chromium instead).

import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { createClient } from "redis";
import type { ClientRecord } from "../../../registry/record.ts";
import { rememberCredential } from "../../harness/log-capture.ts";
import { clientRecord, identityMapping, type Stack } from "../fixtures.ts";

export const USER = "ada";
export const PASSWORD = "correct horse battery staple";
/** Cost 4 keeps the tests fast; the directory format is the same as in production. */
export const USERS = [
  `${USER}:${bcrypt.hashSync(rememberCredential(PASSWORD), 4)}`,
  `grace:${bcrypt.hashSync(rememberCredential("hopper-1906"), 4)}`,
];

/** A confidential client of the authorization code flow, with its own user directory. */
export function codeClient(overrides: Partial<ClientRecord> = {}): ClientRecord & { secret: string } {
  return clientRecord({
    displayName: "Orders Dashboard",
    grantTypes: ["authorization_code", "refresh_token"],
    redirectUris: ["https://app.example/callback"],
    identityMapping: identityMapping({ users: USERS }),
    ...overrides,
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  location: string | undefined;
}

/** A user agent with a cookie jar that never follows redirects by itself. */
export class UserAgent {
  readonly cookies = new Map<string, string>();

  async get(url: string): Promise<Answer> {
    return this.#send(url, { method: "GET" });
  }

  async post(url: string, form: Record<string, string>): Promise<Answer> {
    return this.#send(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
  }

  async #send(url: string, init: RequestInit): Promise<Answer> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0)
      headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = (pair as string).indexOf("=");
      this.cookies.set((pair as string).slice(0, eq), (pair as string).slice(eq + 1));
    }
    const location = response.headers.get("location") ?? undefined;
    return {
      status: response.status,
      headers: response.headers,
      text: await response.text(),
      location: location === undefined ? undefined : new URL(location, url).href,
    };
  }
}

/** The hidden inputs of the page's form (request ID, anti-CSRF token). */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[match[1] as string] = match[2] as string;
  return fields;
}

export function authorizeUrl(stack: { url: string }, params: Record<string, string>): string {
  return `${stack.url}/oauth2/authorize?${new URLSearchParams(params)}`;
}

/**
 * Signs in on the login page and allows on the consent page (when shown); returns the
 * redirect to the client that ends the flow.
 */
export async function signInAndAllow(agent: UserAgent, stack: { url: string }, url: string, password = PASSWORD) {
  const login = await agent.get(url);
  assert.equal(login.status, 200, login.text);
  const signedIn = await agent.post(`${stack.url}/oauth2/authorize/login`, {
    ...hiddenFields(login.text),
    username: USER,
    password,
  });
  assert.equal(signedIn.status, 303, signedIn.text);
  const next = await agent.get(signedIn.location as string);
  if (next.status === 303) return new URL(next.location as string);
  assert.equal(next.status, 200, next.text);
  assert.match(next.text, /wants to access your account/);
  const allowed = await agent.post(`${stack.url}/oauth2/authorize/consent`, {
    ...hiddenFields(next.text),
    decision: "allow",
  });
  assert.equal(allowed.status, 303, allowed.text);
  return new URL(allowed.location as string);
}

/** Every token-state key in the stack's Redis, to check what is (and is not) stored. */
export async function stateKeysIn(stack: Stack): Promise<string[]> {
  const client = createClient({ url: stack.redis.url });
  await client.connect();
  try {
    return await client.keys("tollgate:state:v1:*");
  } finally {
    await client.close();
  }
}
