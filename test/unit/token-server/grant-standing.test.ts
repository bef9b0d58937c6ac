// A refresh token lives only while what vouched for it still does (tokens/grant-standing.ts):
// after each change to the client's registration, the refresh grant refuses the token
// and introspection reports it inactive. An unrelated change leaves it alive.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, test } from "node:test";
import jwt from "jsonwebtoken";
import type { ClientRecord } from "../../../registry/record.ts";
import { basicAuth, mapping, record, userLine } from "../support/records.ts";
import { postForm, startUnitStack, type UnitStack } from "../support/token-server.ts";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ISSUER = "https://idp.example";
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const issuerJwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", use: "sig" };

let stack: UnitStack;
before(async () => {
  stack = await startUnitStack();
});
after(async () => {
  await stack.close();
});

const USERS = [userLine("alice", "pw"), userLine("bob", "pw")];

function passwordClient(): ClientRecord {
  return record({
    grantTypes: ["password", "refresh_token"],
    audiences: ["https://orders.example", "https://reports.example"],
    identityMapping: mapping({ users: USERS }),
  });
}

function jwtClient(): ClientRecord {
  return record({
    grantTypes: [JWT_BEARER, "refresh_token"],
    refreshToken: { lifetimeSeconds: 3600, issuance: "rotate", forAssertionGrants: true },
    identityMapping: mapping({
      jwtIssuers: [
        {
          issuer: ISSUER,
          jwks: { keys: [issuerJwk] },
          subjectClaim: "sub",
          algorithms: ["ES256"],
          allowedSubjects: ["alice", "bob"],
        },
      ],
    }),
  });
}

async function signIn(client: ClientRecord): Promise<string> {
  const form: Record<string, string> = client.grantTypes.includes("password")
    ? { grant_type: "password", username: "alice", password: "pw", audience: "https://reports.example" }
    : {
        grant_type: JWT_BEARER,
        assertion: jwt.sign({ sub: "alice", aud: stack.url, jti: crypto.randomUUID() }, privateKey, {
          algorithm: "ES256",
          keyid: "k1",
          issuer: ISSUER,
          expiresIn: 60,
        }),
      };
  const answer = await postForm(`${stack.url}/oauth2/token`, form, basicAuth(client.clientId));
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return String(answer.body.refresh_token);
}

type Change = (client: ClientRecord) => Partial<ClientRecord>;
const users =
  (lines: string[]): Change =>
  (c) => ({ identityMapping: { ...(c.identityMapping ?? mapping()), users: lines } });
const issuers =
  (edit: (i: NonNullable<ClientRecord["identityMapping"]>["jwtIssuers"][number]) => object[]): Change =>
  (c) => ({
    identityMapping: {
      ...(c.identityMapping ?? mapping()),
      jwtIssuers: (c.identityMapping?.jwtIssuers ?? []).flatMap((i) => edit(i)) as never,
    },
  });

const cases: [string, () => ClientRecord, Change, boolean][] = [
  ["the user is removed from the directory", passwordClient, users([USERS[1] as string]), false],
  [
    "the password grant is removed",
    passwordClient,
    () => ({ grantTypes: ["client_credentials", "refresh_token"] }),
    false,
  ],
  ["the refresh_token grant is removed", passwordClient, () => ({ grantTypes: ["password"] }), false],
  ["the grant's audience is removed", passwordClient, () => ({ audiences: ["https://orders.example"] }), false],
  [
    "refresh issuance turns from rotate to reuse",
    passwordClient,
    (c) => ({ refreshToken: { ...c.refreshToken, issuance: "reuse" } }),
    false,
  ],
  ["the issuer is no longer trusted", jwtClient, issuers((i) => [{ ...i, issuer: "https://other.example" }]), false],
  [
    "the issuer's allowedSubjects no longer include the subject",
    jwtClient,
    issuers((i) => [{ ...i, allowedSubjects: ["bob"] }]),
    false,
  ],
  [
    "an unrelated change (display name, another user added)",
    passwordClient,
    (c) => ({ displayName: "renamed", ...users([...USERS, userLine("carol", "pw")])(c) }),
    true,
  ],
  [
    "rotate to rotateAndReset",
    jwtClient,
    (c) => ({ refreshToken: { ...c.refreshToken, issuance: "rotateAndReset" } }),
    true,
  ],
];

for (const [name, make, change, survives] of cases)
  test(`refresh token after "${name}": ${survives ? "still alive" : "ended"}`, async () => {
    const client = make();
    await stack.put(client);
    const refreshToken = await signIn(client);
    await stack.put({ ...client, ...change(client), updatedAt: client.updatedAt + 1 });
    const introspected = await postForm(
      `${stack.url}/oauth2/introspect`,
      { token: refreshToken },
      basicAuth(client.clientId),
    );
    assert.equal(introspected.status, 200);
    assert.equal(introspected.body.active, survives, JSON.stringify(introspected.body));
    const refreshed = await postForm(
      `${stack.url}/oauth2/token`,
      { grant_type: "refresh_token", refresh_token: refreshToken },
      basicAuth(client.clientId),
    );
    if (survives) assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    else {
      assert.equal(refreshed.status, 400, JSON.stringify(refreshed.body));
      // Without the refresh_token grant the endpoint refuses before the token is looked at.
      assert.match(String(refreshed.body.error), /^(invalid_grant|unauthorized_client)$/);
    }
  });

test("a token rotated out under rotate stays out after the client turns to reuse and back", async () => {
  const client = passwordClient();
  await stack.put(client);
  const first = await signIn(client);
  const refresh = (token: string) =>
    postForm(
      `${stack.url}/oauth2/token`,
      { grant_type: "refresh_token", refresh_token: token },
      basicAuth(client.clientId),
    );
  const second = await refresh(first);
  assert.equal(second.status, 200);
  await stack.put({
    ...client,
    refreshToken: { ...client.refreshToken, issuance: "reuse" },
    updatedAt: client.updatedAt + 1,
  });
  const replay = await refresh(first);
  assert.equal(replay.status, 400, "the rotated-out token is not good again under reuse");
});
