// The login session cookie's attributes by issuer: Secure with the __Host- prefix
// everywhere except plain http on a loopback address (every integration stack is the
// latter, so only this table sees the https case).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Ctx } from "../../../token-server/request-context.ts";
import { writeSessionCookie } from "../../../token-server/sessions/session-cookie.ts";

const ID = "a".repeat(43);

function cookieFor(issuer: string): string {
  const headers: string[] = [];
  const ctx = {
    state: { server: { settings: { issuer } } },
    append: (name: string, value: string) => {
      assert.equal(name, "Set-Cookie");
      headers.push(value);
    },
  } as unknown as Ctx;
  writeSessionCookie(ctx, ID, 3600);
  assert.equal(headers.length, 1);
  return headers[0] as string;
}

const cases: [string, string][] = [
  ["https://login.example", `__Host-tollgate-session=${ID}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure`],
  [
    "https://login.example/tenant",
    `__Host-tollgate-session=${ID}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure`,
  ],
  ["https://127.0.0.1:8443", `__Host-tollgate-session=${ID}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure`],
  ["http://login.example", `__Host-tollgate-session=${ID}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure`],
  ["http://127.0.0.1:8080", `tollgate-session=${ID}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`],
  ["http://[::1]:8080", `tollgate-session=${ID}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`],
  ["http://localhost:8080", `tollgate-session=${ID}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`],
];

for (const [issuer, expected] of cases)
  test(`session cookie for ${issuer}`, () => assert.equal(cookieFor(issuer), expected));
