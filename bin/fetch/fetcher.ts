// The loop of the sidecar: obtain a token, write it, sleep until it is due for renewal
// (schedule.ts), again; on a failure keep the file and retry with backoff. The clock and
// the sleep are injected, so its timing is tested with a fake clock.
import type { AccessToken } from "./exchange.ts";
import { renewAt, retryDelay } from "./schedule.ts";

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (to false) when the fetcher is stopped. */
  sleep(ms: number): Promise<boolean>;
}

export interface FetcherDeps {
  exchange(): Promise<AccessToken>;
  write(token: string): Promise<void>;
  clock: Clock;
  log(line: string): void;
}

/** Runs until `clock.sleep` reports a stop; returns how many tokens were written. */
export async function keepFresh(deps: FetcherDeps): Promise<number> {
  let written = 0;
  let failures = 0;
  for (;;) {
    let wait: number;
    try {
      const obtainedAt = deps.clock.now();
      const token = await deps.exchange();
      await deps.write(token.accessToken);
      written += 1;
      failures = 0;
      const due = renewAt(obtainedAt, token.expiresIn);
      wait = Math.max(0, due - deps.clock.now());
      deps.log(`wrote a token valid for ${token.expiresIn}s; renewing in ${Math.round(wait / 1000)}s`);
    } catch (error) {
      failures += 1;
      wait = retryDelay(failures);
      deps.log(`token exchange failed (${(error as Error).message}); retrying in ${wait / 1000}s`);
    }
    if (!(await deps.clock.sleep(wait))) return written;
  }
}
