// The token state in process memory: the standalone default.
import { MemoryStore } from "./memory-store.ts";
import { TokenState } from "./token-state.ts";

export class MemoryTokenState extends TokenState {
  constructor(sweepIntervalMs?: number) {
    super(new MemoryStore(sweepIntervalMs));
  }
}
