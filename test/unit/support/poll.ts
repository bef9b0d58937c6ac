// Waits for observable state, counting attempts rather than reading the clock: the
// unit tier fakes Date, so a deadline in wall time would never come.
import { setTimeout as sleep } from "node:timers/promises";

export async function poll(what: string, probe: () => boolean | Promise<boolean>, attempts = 2000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await probe()) return;
    await sleep(1);
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} attempts`);
}
