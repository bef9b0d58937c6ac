// Request counters counted in plain numbers and handed to prom-client when it reads them.
// prom-client's inc() builds a string of the label values and validates them on every
// call, and the token endpoint counted twice per request (requests_total and the
// per-client series). A tally is found through one small map per label instead, with
// nothing built, and the counts reach the Counter in its collect hook, which prom-client
// runs before every read (a scrape, or a test's get()): what a scrape shows is the same.
import type { Counter } from "prom-client";

interface Tally<T extends string> {
  labels: Partial<Record<T, string>>;
  count: number;
}

/** Tallies of a counter with three labels, keyed by their values in the order of `names`. */
export class Tallies<T extends string> {
  readonly #counter: Counter<T>;
  readonly #names: readonly [T, T, T];
  readonly #tree = new Map<string, Map<string, Map<string, Tally<T>>>>();

  constructor(counter: Counter<T>, names: readonly [T, T, T]) {
    this.#counter = counter;
    this.#names = names;
  }

  /** Counts one for the label values `a`, `b`, `c` (in the order of the names). */
  add(a: string, b: string, c: string): void {
    let byA = this.#tree.get(a);
    if (!byA) {
      byA = new Map();
      this.#tree.set(a, byA);
    }
    let byB = byA.get(b);
    if (!byB) {
      byB = new Map();
      byA.set(b, byB);
    }
    const tally = byB.get(c);
    if (tally) tally.count += 1;
    else {
      const [na, nb, nc] = this.#names;
      byB.set(c, { labels: { [na]: a, [nb]: b, [nc]: c } as Partial<Record<T, string>>, count: 1 });
    }
  }

  /** Adds the counts so far to the counter (from its collect hook). */
  flush(): void {
    for (const byA of this.#tree.values())
      for (const byB of byA.values())
        for (const tally of byB.values())
          if (tally.count > 0) {
            this.#counter.inc(tally.labels, tally.count);
            tally.count = 0;
          }
  }

  /** Drops every tally whose first label value is `a`, and removes its series from the counter. */
  remove(a: string): void {
    const byA = this.#tree.get(a);
    if (!byA) return;
    for (const byB of byA.values()) for (const tally of byB.values()) this.#counter.remove(tally.labels);
    this.#tree.delete(a);
  }
}
