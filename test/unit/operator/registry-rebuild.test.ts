// The registry-rebuild decision: look for the marker; when it is gone, queue every
// client once, then mark the registry built when they are done or the deadline passes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RegistryRebuildReconciler } from "../../../operator/controllers/registry-rebuild.ts";
import { testLogger } from "../../harness/log-capture.ts";

function setup(initialised: boolean) {
  const world = { initialised, marked: 0, queued: 0, rebuilds: 0, drained: false, now: 1_000_000 };
  const reconciler = new RegistryRebuildReconciler({
    registry: {
      initialised: async () => world.initialised,
      markInitialised: async () => {
        world.marked += 1;
        world.initialised = true;
      },
    },
    reconcileAllClients: () => {
      world.queued += 1;
      return 3;
    },
    clientsDrained: () => world.drained,
    checkPeriodMs: 2000,
    rebuildDeadlineMs: 30_000,
    onRebuild: () => {
      world.rebuilds += 1;
    },
    log: testLogger("registry-rebuild-unit", { level: "error" }),
    now: () => world.now,
  });
  return { world, reconciler };
}

test("a built registry: nothing to do, look again after the check period", async () => {
  const { world, reconciler } = setup(true);
  assert.deepEqual(await reconciler.reconcile(), { requeueAfter: 2000 });
  assert.deepEqual([world.queued, world.marked, world.rebuilds], [0, 0, 0]);
});

test("a lost registry: every client queued once, marked built when they are done", async () => {
  const { world, reconciler } = setup(false);
  assert.deepEqual(await reconciler.reconcile(), { requeueAfter: 250 });
  assert.deepEqual([world.queued, world.rebuilds, world.marked], [1, 1, 0]);
  world.now += 1000;
  assert.deepEqual(await reconciler.reconcile(), { requeueAfter: 250 }, "still reconciling");
  assert.deepEqual([world.queued, world.marked], [1, 0], "not queued twice");
  world.drained = true;
  assert.deepEqual(await reconciler.reconcile(), { requeueAfter: 2000 });
  assert.equal(world.marked, 1);
  assert.deepEqual(await reconciler.reconcile(), { requeueAfter: 2000 }, "built: back to checking");
  assert.deepEqual([world.queued, world.rebuilds, world.marked], [1, 1, 1]);
});

test("a client that keeps failing does not hold the marker past the deadline", async () => {
  const { world, reconciler } = setup(false);
  await reconciler.reconcile();
  world.now += 29_999;
  await reconciler.reconcile();
  assert.equal(world.marked, 0);
  world.now += 1;
  await reconciler.reconcile();
  assert.equal(world.marked, 1);
});

test("lost again later: a second rebuild is counted", async () => {
  const { world, reconciler } = setup(false);
  world.drained = true;
  await reconciler.reconcile();
  await reconciler.reconcile();
  world.initialised = false;
  await reconciler.reconcile();
  await reconciler.reconcile();
  assert.deepEqual([world.queued, world.rebuilds, world.marked], [2, 2, 2]);
});
