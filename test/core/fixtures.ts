/**
 * Shared pieces of the core tests: a promise settled from outside, a way to let pending promise
 * callbacks run, and a logger that records instead of printing.
 *
 * @module
 */

import type { Backpressure, Logger, ProcessContext, Rejection, Slot } from '../../src/index.js';

/** A promise with its `resolve` and `reject` exposed, for a `process` the test drives by hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves after every promise callback queued so far (and those they queue) has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Lets callbacks run until `done()` holds, giving zero-delay timers (retry backoff of 0 ms) their
 * turn. Throws after a bounded number of turns, so a broken expectation fails instead of hanging.
 */
export async function until(done: () => boolean, turns = 50): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  if (!done()) throw new Error(`condition still false after ${turns} timer turns`);
}

/** A logger that keeps its warnings for assertions. */
export function recordingLogger(): Logger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    warn: (message: string) => {
      warnings.push(message);
    },
  };
}

/** One call of a hand-driven `process`: the event, its context, and the promise's controls. */
export interface ProcessCall<T> extends Deferred<void> {
  readonly event: T;
  readonly context: ProcessContext;
}

/**
 * A `process` whose every call stays pending until the test resolves or rejects it. A call whose
 * signal aborts resolves by itself, as a well-behaved consumer stops work when told to.
 */
export function controlledProcess<T>(): {
  readonly process: (event: T, context: ProcessContext) => Promise<void>;
  readonly calls: ProcessCall<T>[];
} {
  const calls: ProcessCall<T>[] = [];
  const process = (event: T, context: ProcessContext): Promise<void> => {
    const call = { ...deferred(), event, context };
    context.signal.addEventListener('abort', () => {
      call.resolve();
    });
    calls.push(call);
    return call.promise;
  };
  return { process, calls };
}

/** Asks for a slot and fails the test when the receiver rejects instead. */
export function reserve<T>(receiver: Backpressure<T>): Slot<T> {
  const admission = receiver.tryAdmit();
  if (!admission.admitted) throw new Error(`expected a slot, got a ${admission.reason} rejection`);
  return admission;
}

/** Asks for a slot and fails the test when the receiver admits instead. */
export function refuse<T>(receiver: Backpressure<T>): Rejection {
  const admission = receiver.tryAdmit();
  if (admission.admitted) throw new Error('expected a rejection, got a slot');
  return admission;
}
