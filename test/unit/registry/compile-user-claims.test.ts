// The users Secret's claims (users.yaml beside htpasswd): parsed and type-checked when
// the record is compiled, so a mistake is a condition a person reads, optional unless
// claimsKey names the key, and released by scope on the token server's side.
import assert from "node:assert/strict";
import { test } from "node:test";
import { API_VERSION, KIND, type OAuthClient, type UserDirectoryRef } from "../../../api/v1alpha1/oauthclient.ts";
import { CompileError, compileRecord, type SecretReference } from "../../../registry/compile.ts";
import { parseUserClaims } from "../../../registry/parse-user-claims.ts";
import { claimsForScope } from "../../../token-server/users/user-claims.ts";
import { userLine } from "../support/records.ts";

const HTPASSWD = userLine("ada", "pw");

function compile(ref: UserDirectoryRef, keys: Record<string, string>) {
  const resource: OAuthClient = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: "wiki", namespace: "docs", uid: "u" },
    spec: {
      grantTypes: ["authorization_code"],
      redirectUris: ["https://wiki.example/cb"],
      identityMapping: { userDirectorySecretRef: ref },
    },
  };
  const lookup = (reference: SecretReference) => keys[reference.ref.key ?? reference.defaultKey];
  return compileRecord({ resource, clientId: "wiki", secrets: [], lookup });
}

test("htpasswd alone still works: no users.yaml, no claims", () => {
  const record = compile({ name: "users" }, { htpasswd: HTPASSWD });
  assert.equal(record.identityMapping?.users?.length, 1);
  assert.equal(record.identityMapping?.userClaims, undefined);
});

test("users.yaml beside htpasswd is read by default; JSON works as well as YAML", () => {
  const yaml = compile(
    { name: "users" },
    { htpasswd: HTPASSWD, "users.yaml": "ada:\n  name: Ada\n  groups: [a, b]\n" },
  );
  assert.deepEqual(yaml.identityMapping?.userClaims, { ada: { name: "Ada", groups: ["a", "b"] } });
  const json = compile(
    { name: "users", claimsKey: "users.json" },
    { htpasswd: HTPASSWD, "users.json": '{"ada": {"email": "ada@example.com", "email_verified": true}}' },
  );
  assert.deepEqual(json.identityMapping?.userClaims, { ada: { email: "ada@example.com", email_verified: true } });
});

test("a claimsKey that names a missing key is a compile error", () => {
  assert.throws(
    () => compile({ name: "users", claimsKey: "people.yaml" }, { htpasswd: HTPASSWD }),
    (error: Error) =>
      error instanceof CompileError &&
      error.field === "spec.identityMapping.userDirectorySecretRef.claimsKey" &&
      /has no key "people.yaml"/.test(error.message),
  );
});

const bad: [string, string, RegExp][] = [
  ["a list at the top", "- ada\n", /must map each username/],
  ["a user whose claims are a string", "ada: Ada\n", /user "ada": the claims must be a mapping/],
  ["email_verified as a string", "ada: {email_verified: 'yes'}\n", /"email_verified" must be true or false/],
  ["groups as a string", "ada: {groups: admins}\n", /"groups" must be a list of names/],
  ["an empty name", "ada: {name: ''}\n", /"name" must be a non-empty string/],
  ["an unknown claim", "ada: {role: admin}\n", /"role" is not one this directory supports/],
  ["a negative updated_at", "ada: {updated_at: -1}\n", /seconds since the epoch/],
  ["broken YAML", "ada: {name: [\n", /is not valid YAML or JSON/],
  ["YAML aliases (a billion-laughs shape)", "a: &x {name: A}\nb: *x\n", /is not valid YAML or JSON/],
];
for (const [name, raw, message] of bad)
  test(`users.yaml refused: ${name}`, () => {
    assert.throws(
      () => compile({ name: "users" }, { htpasswd: HTPASSWD, "users.yaml": raw }),
      (error: Error) => error instanceof CompileError && message.test(error.message),
    );
  });

test("a username like __proto__ is an own entry, never a prototype", () => {
  const users = parseUserClaims('{"__proto__": {"name": "P"}}');
  assert.ok(Object.hasOwn(users, "__proto__"));
  assert.equal(Object.getPrototypeOf(users), Object.prototype);
});

test("claims released by scope: profile, email, groups; openid alone and unknown scopes release nothing", () => {
  const record = compile(
    { name: "users" },
    {
      htpasswd: HTPASSWD,
      "users.yaml":
        "ada: {name: Ada, family_name: L, email: a@x.example, email_verified: true, groups: [g], phone_number: '+1'}\n",
    },
  );
  const cases: [string[], Record<string, unknown>][] = [
    [["openid"], {}],
    [["openid", "profile"], { name: "Ada", family_name: "L" }],
    [["openid", "email"], { email: "a@x.example", email_verified: true }],
    [["openid", "groups"], { groups: ["g"] }],
    [["openid", "phone"], { phone_number: "+1" }],
    [["openid", "constructor", "__proto__", "orders.read"], {}],
  ];
  for (const [scope, expected] of cases)
    assert.deepEqual(claimsForScope(record, "ada", scope), expected, scope.join(" "));
  assert.deepEqual(claimsForScope(record, "grace", ["openid", "profile"]), {}, "a user without claims");
  assert.deepEqual(claimsForScope(record, "toString", ["profile"]), {}, "an inherited name is no user");
});
