// While the token state (Redis) is down, what middleware/state-outage.ts promises for these
// grants: the password grant without a refresh token keeps working; anything needing
// the state (assertion replay guards, refresh tokens) fails closed with 503
// temporarily_unavailable; and all of it recovers when Redis returns.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import bcrypt from "bcryptjs";
import jwt from "jsonwebtoken";
import { waitFor } from "../../harness/processes.ts";
import { clientRecord, type Stack, startStack } from "../fixtures.ts";
import { tokenRequest } from "../grants/support.ts";

const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
let stack: Stack;

before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test("Redis down: password without refresh works, assertion and refresh grants answer 503, then recover", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const mapping = {
    jwtIssuers: [
      {
        issuer: "https://idp.example",
        jwks: { keys: [{ ...publicKey.export({ format: "jwk" }), kid: "k" }] },
        subjectClaim: "sub",
        algorithms: ["ES256"],
      },
    ],
    samlIdps: [],
    claimMappings: [],
    audiences: [],
    maxAssertionAgeSeconds: 300,
    users: [`alice:${bcrypt.hashSync("pw", 4)}`],
  };
  const plain = clientRecord({ grantTypes: ["password"], identityMapping: mapping });
  const full = clientRecord({ grantTypes: ["password", "refresh_token", JWT_GRANT], identityMapping: mapping });
  await stack.put(plain);
  await stack.put(full);
  const signIn = (client: typeof plain) =>
    tokenRequest(stack.url, client, { grant_type: "password", username: "alice", password: "pw" });
  const assertion = () =>
    jwt.sign(
      { iss: "https://idp.example", sub: "alice", aud: stack.url, jti: randomUUID() },
      privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
      { algorithm: "ES256", keyid: "k", expiresIn: 60 },
    );
  const { refresh_token } = (await signIn(full)).body as { refresh_token: string };

  await stack.redis.stop();
  await waitFor("the token state to notice", async () => !stack.state.available || undefined);
  assert.equal((await signIn(plain)).status, 200);
  const wrong = await tokenRequest(stack.url, plain, { grant_type: "password", username: "alice", password: "x" });
  assert.equal(wrong.body.error_description, "the username or password is wrong");
  for (const result of [
    await signIn(full),
    await tokenRequest(stack.url, full, { grant_type: JWT_GRANT, assertion: assertion() }),
    await tokenRequest(stack.url, full, { grant_type: "refresh_token", refresh_token }),
  ]) {
    assert.equal(result.status, 503, JSON.stringify(result.body));
    assert.equal(result.body.error, "temporarily_unavailable");
    assert.equal(result.headers.get("retry-after"), "1");
  }

  // Redis comes back empty (no persistence): new grants work; the old refresh token is gone.
  await stack.redis.restart();
  await waitFor("the token state to reconnect", async () => stack.state.available || undefined, {
    timeoutMs: 15_000,
  });
  assert.equal((await signIn(full)).status, 200);
  assert.equal((await tokenRequest(stack.url, full, { grant_type: JWT_GRANT, assertion: assertion() })).status, 200);
  const lost = await tokenRequest(stack.url, full, { grant_type: "refresh_token", refresh_token });
  assert.equal(lost.body.error, "invalid_grant");
});
