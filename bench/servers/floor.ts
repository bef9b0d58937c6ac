// The floor: the least a Koa server can do for a client-credentials token: parse the
// form, decode Basic, compare the secret (the same salted SHA-256 as Tollgate), sign an
// ES256 at+jwt with jose. No routing library, no metrics, no registry.
// Usage: node bench/servers/floor.ts <port> <issuer>
import { randomUUID } from "node:crypto";
import { importJWK, SignJWT } from "jose";
import Koa from "koa";
import { hashSecret, verifySecret } from "../../registry/secret-hash.ts";
import { generateSigningKey } from "../../registry/signing-key-format.ts";
import { BENCH_AUDIENCE, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET } from "../lib/bench-client.ts";

const [port, issuer] = [Number(process.argv[2]), process.argv[3] as string];
const stored = hashSecret(BENCH_CLIENT_SECRET);
const jwk = await generateSigningKey("ES256");
const key = await importJWK(jwk, "ES256");

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method !== "POST" || ctx.path !== "/oauth2/token") {
    ctx.status = 404;
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
  const params = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  const decoded = Buffer.from((ctx.get("authorization") ?? "").slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const id = decodeURIComponent(decoded.slice(0, colon));
  const secret = decodeURIComponent(decoded.slice(colon + 1));
  if (params.get("grant_type") !== "client_credentials" || id !== BENCH_CLIENT_ID || !verifySecret(secret, stored)) {
    ctx.status = 401;
    ctx.body = { error: "invalid_client" };
    return;
  }
  const iat = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    iss: issuer,
    sub: id,
    aud: BENCH_AUDIENCE,
    client_id: id,
    jti: randomUUID(),
    iat,
    exp: iat + 600,
    scope: params.get("scope") ?? undefined,
  })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "at+jwt" })
    .sign(key);
  ctx.set("Cache-Control", "no-store");
  ctx.body = { access_token: token, token_type: "Bearer", expires_in: 600, scope: params.get("scope") };
});
process.once("SIGINT", () => process.exit(0));
app.listen(port, "127.0.0.1", () => process.stdout.write(`READY http://127.0.0.1:${port}\n`));
