// application/x-www-form-urlencoded parsing (RFC 6749 §3.2, appendix B): the decoder
// as a table, and the request-level checks through the token endpoint.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { decodeForm } from "../../../token-server/middleware/parse-form.ts";
import { startUnitStack, type UnitStack } from "../support/token-server.ts";

const decoded: [string, string, [string, string[]][] | string][] = [
  ["empty body", "", []],
  ["one pair", "a=b", [["a", ["b"]]]],
  ["plus is a space", "a=x+y", [["a", ["x y"]]]],
  ["percent-encoded plus stays a plus", "a=x%2By", [["a", ["x+y"]]]],
  ["a name without a value", "a", [["a", [""]]]],
  [
    "empty pairs are skipped",
    "a=1&&b=2&",
    [
      ["a", ["1"]],
      ["b", ["2"]],
    ],
  ],
  ["repeated names keep every value", "a=1&a=2", [["a", ["1", "2"]]]],
  ["UTF-8 escapes", "n=%C3%A9", [["n", ["é"]]]],
  ["an escape that is not hex", "a=%zz", "invalid percent-encoding"],
  ["a truncated escape", "a=%4", "invalid percent-encoding"],
  ["an escape that is not UTF-8", "a=%C3", "percent-encoding is not UTF-8"],
  ["an empty name", "=x", "empty parameter name"],
];

for (const [name, body, expected] of decoded)
  test(`decodeForm: ${name}`, () => {
    if (typeof expected === "string")
      assert.throws(
        () => decodeForm(body),
        (error: { error?: string; detail?: string }) => error.error === "invalid_request" && error.detail === expected,
      );
    else assert.deepEqual([...decodeForm(body)], expected);
  });

let stack: UnitStack;
before(async () => {
  stack = await startUnitStack({ settings: { maxBodyBytes: 64 } });
});
after(() => stack.close());

const requests: [string, string | undefined, string, number][] = [
  ["JSON is refused", "application/json", "{}", 400],
  ["no content type is refused", undefined, "grant_type=client_credentials", 400],
  ["a charset other than UTF-8 is refused", "application/x-www-form-urlencoded; charset=iso-8859-1", "a=b", 400],
  ["charset=utf-8 in quotes is accepted", 'application/x-www-form-urlencoded; charset="UTF-8"', "grant_type=nope", 400],
  ["a body over the limit is 413", "application/x-www-form-urlencoded", `a=${"x".repeat(100)}`, 413],
];

for (const [name, type, body, status] of requests)
  test(`token endpoint form: ${name}`, async () => {
    const response = await fetch(`${stack.url}/oauth2/token`, {
      method: "POST",
      headers: type === undefined ? {} : { "content-type": type },
      body: type === undefined ? new Blob([body]) : body,
    });
    assert.equal(response.status, status);
    const answer = (await response.json()) as { error: string };
    assert.equal(answer.error, name.includes("in quotes") ? "unsupported_grant_type" : "invalid_request");
  });

test("token endpoint form: a body that is not UTF-8 is refused", async () => {
  const response = await fetch(`${stack.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: Buffer.from([0x61, 0x3d, 0xff]),
  });
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), {
    error: "invalid_request",
    error_description: "the request body is not valid UTF-8",
  });
});
