/**
 * Timer helpers that work on every runtime.
 *
 * @module
 */

/**
 * Lets the process exit while `timer` is pending. Node and Bun return objects with `unref()`;
 * Deno and Workers return numbers, which have nothing to unref.
 */
export function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

/** Resolves after `ms`, or at once when `signal` aborts. The timer never holds the process open. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }

    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    unref(timer);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
