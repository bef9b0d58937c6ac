// The store primitive's contract (test/token-server/store-contract.ts) against the
// memory store, on a fake clock.
import { after, before, mock } from "node:test";
import { MemoryStore } from "../../../token-server/state/memory-store.ts";
import { storeContract } from "../../token-server/store-contract.ts";

let store: MemoryStore;
before(() => {
  mock.timers.enable({ apis: ["Date"], now: Date.parse("2026-12-01T00:00:00Z") });
  store = new MemoryStore();
});
after(async () => {
  await store.close();
  mock.timers.reset();
});

storeContract(
  "memory",
  () => store,
  async (ms) => mock.timers.tick(ms),
);
