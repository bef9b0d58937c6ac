// Used by control-plane.test.ts: starts a control plane, prints the PIDs, then
// fails the way a test would (an uncaught error), so the test can check that the
// harness took its processes down with it.
import { startControlPlane } from "./control-plane.ts";
import { startedPids } from "./processes.ts";
import { startRedis } from "./redis.ts";

await startControlPlane({ installCrds: false });
await startRedis();
console.log(JSON.stringify(startedPids()));
throw new Error("a failing test");
