// A wait between retries that a stop() can cut short, so a loop that sleeps for its
// backoff or retry period notices the stop at once instead of at the end of the wait.

export class InterruptibleSleep {
  #wake: (() => void) | undefined;

  /** Resolves after `ms`, or as soon as wake() is called meanwhile. */
  async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  /** Ends the sleep in progress, if there is one. */
  wake(): void {
    this.#wake?.();
  }
}
