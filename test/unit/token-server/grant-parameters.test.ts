// Grant.parameters is enforced: what a grant does not take is ignored (RFC 6749 §3.2),
// repeated or not; what it takes may not repeat unless it is multi-valued.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { basicAuth, record } from "../support/records.ts";
import { postForm, startUnitStack, type UnitStack } from "../support/token-server.ts";

let stack: UnitStack;
let clientId: string;
before(async () => {
  stack = await startUnitStack();
  const client = record({ audiences: ["https://orders.example", "reports"] });
  clientId = client.clientId;
  await stack.put(client);
});
after(() => stack.close());

const cases: [string, string, number, string | undefined][] = [
  ["an unknown parameter, repeated, is ignored", "grant_type=client_credentials&foo=1&foo=2", 200, undefined],
  [
    "another grant's parameter is ignored",
    "grant_type=client_credentials&code=x&code=y&refresh_token=z",
    200,
    undefined,
  ],
  [
    "a parameter the grant takes may not repeat",
    "grant_type=client_credentials&scope=orders.read&scope=orders.write",
    400,
    "invalid_request",
  ],
  [
    "a multi-valued one may",
    "grant_type=client_credentials&audience=reports&audience=https%3A%2F%2Forders.example",
    200,
    undefined,
  ],
];

for (const [name, body, status, error] of cases)
  test(`token endpoint parameters: ${name}`, async () => {
    const answer = await postForm(`${stack.url}/oauth2/token`, body, basicAuth(clientId));
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.error, error);
  });
