// POST /oauth2/authorize/login: the password checked against the client's user
// directory with the password grant's throttle (users/verify-user.ts). A wrong password
// shows the form again with the error announced; success starts a fresh session and
// sends the browser to continue the request (POST-redirect-GET).
import { OAuthError } from "../errors.ts";
import { signIn } from "../sessions/sessions.ts";
import { directoryName } from "../sessions/users.ts";
import { sourceAddress } from "../source-address.ts";
import { verifyUser } from "../users/verify-user.ts";
import type { AuthorizeCtx } from "./authorize-context.ts";
import { pendingOf } from "./authorize-context.ts";
import { AUTHORIZE_PATHS, issuerPath } from "./paths.ts";
import { savePending } from "./pending-store.ts";
import { showLogin } from "./proceed.ts";

const MAX_FIELD = 1024;

export async function signInUser(ctx: AuthorizeCtx): Promise<void> {
  const { server, client, params } = ctx.state;
  const pending = pendingOf(ctx);
  if (!client) throw new Error("loadPendingRequest did not run");
  const username = (params.get("username")?.[0] ?? "").trim();
  const password = params.get("password")?.[0] ?? "";
  if (username === "" || password === "" || username.length > MAX_FIELD || password.length > MAX_FIELD) {
    await showLogin(ctx, pending, { status: 400, message: "Enter your username and password.", username });
    return;
  }
  let ok: boolean;
  try {
    ok = await verifyUser(server, client, { username, password, source: sourceAddress(ctx) });
  } catch (error) {
    const retryAfter = error instanceof OAuthError ? error.headers["retry-after"] : undefined;
    if (retryAfter === undefined) throw error;
    server.log.info("sign-in throttled", { client_id: client.clientId });
    await showLogin(ctx, pending, {
      status: 429,
      message: `Too many failed attempts. Try again in ${retryAfter} seconds.`,
      username,
    });
    ctx.set("Retry-After", retryAfter);
    return;
  }
  if (!ok) {
    server.log.info("sign-in failed", { client_id: client.clientId });
    await showLogin(ctx, pending, { status: 401, message: "The username or password is incorrect.", username });
    return;
  }
  const authTime = Math.floor(Date.now() / 1000);
  ctx.state.session = await signIn(ctx, ctx.state.session, {
    sub: username,
    directory: directoryName(client),
    authTime,
  });
  pending.signedInHere = true;
  await savePending(server, pending);
  server.log.info("user signed in", { client_id: client.clientId, sub: username });
  ctx.status = 303;
  ctx.set("Location", `${issuerPath(server.settings.issuer)}${AUTHORIZE_PATHS.continue}?request=${pending.id}`);
  ctx.body = "";
}
