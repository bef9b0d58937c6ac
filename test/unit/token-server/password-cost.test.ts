// An unknown user and a wrong password cost the same: exactly one bcrypt comparison,
// at the directory's own cost. Counted, not timed (wall time belongs to benchmarks).
import assert from "node:assert/strict";
import { afterEach, mock, test } from "node:test";
import bcrypt from "bcryptjs";
import { checkPassword, userDirectory } from "../../../token-server/users/user-directory.ts";
import { userLine } from "../support/records.ts";

afterEach(() => mock.restoreAll());

const lines = [userLine("alice", "alice-pw", 5), userLine("bob", "bob-pw", 5)];

const cases: [string, string, string, boolean][] = [
  ["right password", "alice", "alice-pw", true],
  ["wrong password", "alice", "nope", false],
  ["another user's password", "bob", "alice-pw", false],
  ["unknown user", "mallory", "alice-pw", false],
  ["unknown user, empty password", "mallory", "", false],
];

for (const [name, username, password, expected] of cases)
  test(`password check: ${name}: one bcrypt comparison at the directory's cost`, async () => {
    const compare = mock.method(bcrypt, "compare");
    assert.equal(await checkPassword(userDirectory(lines), username, password), expected);
    assert.equal(compare.mock.callCount(), 1);
    const hash = String(compare.mock.calls[0]?.arguments[1]);
    assert.equal(bcrypt.getRounds(hash), 5, "the comparison runs at the directory's cost");
  });

test("password check: an empty directory still costs one comparison", async () => {
  const compare = mock.method(bcrypt, "compare");
  assert.equal(await checkPassword(userDirectory([]), "anyone", "pw"), false);
  assert.equal(compare.mock.callCount(), 1);
});

test("password check: with mixed costs, unknown names spread over the directory's costs, each name always the same", async () => {
  const lines = [userLine("old", "a", 4), userLine("new", "b", 6)];
  const mixed = userDirectory(lines);
  const costOf = (name: string) => bcrypt.getRounds(mixed.dummyHashFor(name));
  const costs = new Set(Array.from({ length: 64 }, (_, i) => costOf(`someone-${i}`)));
  assert.deepEqual([...costs].sort(), [4, 6], "unknown names cost as one of the real users does");
  assert.equal(costOf("mallory"), costOf("mallory"));
  assert.equal(
    userDirectory([...lines].reverse()).dummyHashFor("x"),
    mixed.dummyHashFor("x"),
    "the same on every replica",
  );
});
