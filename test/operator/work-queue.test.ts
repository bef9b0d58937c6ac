// The work queue's contract (controller/work-queue.ts), without an API server: a key is
// queued once however often it is added, never handed to two workers at once, retried
// with growing backoff, and nothing is handed out after shutdown.
import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkQueue } from "../../operator/controller/work-queue.ts";

test("adding a waiting key again does not queue it twice", async () => {
  const queue = new WorkQueue();
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  assert.equal(queue.depth(), 2);
  assert.equal(await queue.get(), "ns/a");
  assert.equal(await queue.get(), "ns/b");
});

test("a key added while being processed is handed out again only after done()", async () => {
  const queue = new WorkQueue();
  queue.add("ns/a");
  const key = await queue.get();
  queue.add("ns/a");
  assert.equal(queue.depth(), 0, "not queued while a worker holds it");
  let second: string | undefined;
  const next = queue.get().then((k) => {
    second = k;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(second, undefined, "no second worker gets it meanwhile");
  queue.done(key as string);
  await next;
  assert.equal(second, "ns/a");
});

test("addRateLimited backs off exponentially per key; forget() resets it", () => {
  const queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
  assert.deepEqual(
    [1, 2, 3, 4].map(() => queue.addRateLimited("ns/a")),
    [10, 20, 40, 50],
  );
  assert.equal(queue.addRateLimited("ns/b"), 10, "per key");
  queue.forget("ns/a");
  assert.equal(queue.addRateLimited("ns/a"), 10);
  queue.shutDown();
});

test("addAfter delivers later, and the earliest of two delays wins", async () => {
  const queue = new WorkQueue();
  const started = Date.now();
  queue.addAfter("ns/a", 200);
  queue.addAfter("ns/a", 30);
  assert.equal(await queue.get(), "ns/a");
  const waited = Date.now() - started;
  assert.ok(waited >= 25 && waited < 190, `waited ${waited} ms`);
  queue.shutDown();
});

test("shutDown releases waiting workers and accepts nothing more", async () => {
  const queue = new WorkQueue();
  const waiting = queue.get();
  queue.shutDown();
  assert.equal(await waiting, undefined);
  queue.add("ns/a");
  assert.equal(await queue.get(), undefined);
});

test("a delay longer than Node's timers can hold (a 90-day rotation) is not turned into 1 ms", async () => {
  const queue = new WorkQueue();
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on("warning", onWarning);
  queue.addAfter("ns/rotates-quarterly", 90 * 24 * 3600 * 1000);
  await new Promise((r) => setTimeout(r, 100));
  process.off("warning", onWarning);
  assert.equal(queue.depth(), 0, "the key is still waiting");
  assert.deepEqual(
    warnings.filter((w) => w.name === "TimeoutOverflowWarning"),
    [],
  );
  queue.shutDown();
});
