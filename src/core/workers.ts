/**
 * The workers that drain the queue: a concurrency cap, retries with exponential backoff, and a
 * dead-letter exit for events that fail every attempt.
 *
 * @module
 */

import type { QueuedItem } from './bounded-queue.js';
import type { Clock } from './clock.js';
import type { DwellTracker } from './dwell-tracker.js';
import type { ProcessContext } from './options.js';
import type { ReceiverQueue } from './receiver-queue.js';
import { sleep } from './timers.js';

/** What the pool reports back to the receiver as events move through it. */
export interface WorkerEvents<T> {
  processed(): void;
  retried(): void;
  failedAttempt(): void;
  deadLettered(event: T, error: unknown, attempts: number): void;
  /** Called after every change of the in-flight count, to re-evaluate the gate and waiters. */
  settled(): void;
}

/** Everything the pool needs, resolved by the receiver. */
export interface WorkerPoolConfig<T> {
  readonly queue: ReceiverQueue<T>;
  readonly process: (event: T, context: ProcessContext) => unknown;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly backoffFactor: number;
  readonly tracker: DwellTracker;
  readonly clock: Clock;
  readonly events: WorkerEvents<T>;
}

/** One worker: a loop that takes events one after another while any wait. */
interface Worker<T> {
  /** The event being processed, once its dequeue has resolved. */
  item: QueuedItem<T> | undefined;
  /** The dequeue of a backend that answers asynchronously, until it resolves. */
  dequeuing: Promise<QueuedItem<T> | undefined> | undefined;
  /** Set when shutdown gave up on the worker: whatever it does later is no longer counted. */
  abandoned: boolean;
}

/**
 * Takes events from the queue and runs them, never more than `concurrency` at once.
 *
 * Each worker is a loop that lives while events wait, rather than a task per event: an event
 * whose `process` answers synchronously costs no promise at all, and an asynchronous one costs
 * only the promise `process` itself returned.
 */
export class WorkerPool<T> {
  readonly #config: WorkerPoolConfig<T>;
  readonly #workers = new Set<Worker<T>>();
  // One controller for the whole pool: abandon() gives up on every event at once, and a
  // controller per event would cost more than the rest of the event's bookkeeping together.
  readonly #controller = new AbortController();
  readonly #signal = this.#controller.signal;
  #inFlight = 0;
  #stopped = false;

  constructor(config: WorkerPoolConfig<T>) {
    this.#config = config;
  }

  /** Events taken from the queue and not finished: being processed or waiting to retry. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Starts workers while one is missing and an event waits. Cheap to call after any change.
   *
   * An event whose `process` answers synchronously is run right here, to its end; a worker turns
   * into an asynchronous loop only once it has something to await.
   */
  pump(): void {
    const { queue, concurrency } = this.#config;
    // Workers are never idle between two events (a worker takes the next one in the same turn),
    // so any event waiting while a worker is missing is one no worker will take.
    while (!this.#stopped && this.#workers.size < concurrency && queue.size > 0) {
      const worker: Worker<T> = { item: undefined, dequeuing: undefined, abandoned: false };
      this.#workers.add(worker);
      let pending = this.#step(worker);
      // A listener run by a finished event may have closed the receiver meanwhile.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set reentrantly
      while (pending === undefined && !this.#stopped && queue.size > 0) {
        pending = this.#step(worker);
      }

      if (pending === undefined) this.#workers.delete(worker);
      else void this.#loop(worker, pending);
    }
  }

  /**
   * Stops taking events and gives up on the events still running: their signal aborts, and the
   * events are returned so that the caller can keep them. Events still on their way out of an
   * asynchronous backend are returned as promises: they were never attempted.
   */
  abandon(): { interrupted: T[]; dequeuing: Promise<QueuedItem<T> | undefined>[] } {
    this.#stopped = true;
    const interrupted: T[] = [];
    const dequeuing: Promise<QueuedItem<T> | undefined>[] = [];
    for (const worker of this.#workers) {
      worker.abandoned = true;
      if (worker.item !== undefined) interrupted.push(worker.item.value);
      else if (worker.dequeuing !== undefined) dequeuing.push(worker.dequeuing);
    }

    this.#workers.clear();
    this.#inFlight = 0;
    this.#controller.abort();
    return { interrupted, dequeuing };
  }

  /**
   * Takes one event and runs it. Returns `undefined` once the event is finished, or a promise
   * after which the caller must call {@link WorkerPool.#finish}.
   */
  #step(worker: Worker<T>): Promise<void> | undefined {
    this.#inFlight++;
    const dequeued = this.#config.queue.dequeue();
    if (dequeued instanceof Promise) return this.#runWhenDequeued(worker, dequeued);

    const pending = dequeued === undefined ? undefined : this.#start(worker, dequeued);
    if (pending === undefined) this.#finish(worker);
    return pending;
  }

  async #runWhenDequeued(
    worker: Worker<T>,
    dequeued: Promise<QueuedItem<T> | undefined>,
  ): Promise<void> {
    worker.dequeuing = dequeued;
    const item = await dequeued;
    worker.dequeuing = undefined;
    // An item that arrives after abandon() belongs to the list handed to close().
    if (item === undefined || worker.abandoned) return;

    const pending = this.#start(worker, item);
    if (pending !== undefined) await pending;
  }

  /** The event of `worker` is done with: it leaves the in-flight count. */
  #finish(worker: Worker<T>): void {
    if (worker.abandoned) return;

    worker.item = undefined;
    this.#inFlight--;
    this.#config.events.settled();
  }

  /** A worker that had to await: it goes on taking events until none waits. */
  async #loop(worker: Worker<T>, first: Promise<void>): Promise<void> {
    const { queue } = this.#config;
    try {
      await first;
      this.#finish(worker);
      while (!worker.abandoned && !this.#stopped && queue.size > 0) {
        const pending = this.#step(worker);
        if (pending === undefined) continue;

        await pending;
        this.#finish(worker);
      }
    } finally {
      if (!worker.abandoned) this.#workers.delete(worker);
    }
  }

  /**
   * Runs an event's first attempt. Returns `undefined` when the event is done already (its
   * `process` answered synchronously), or a promise of its end.
   */
  #start(worker: Worker<T>, item: QueuedItem<T>): Promise<void> | undefined {
    const { clock, tracker, process } = this.#config;
    worker.item = item;
    // Each clock reading serves every figure taken at that moment: reads cost ~100 ns here.
    const dequeuedAt = clock();
    const dwellMs = dequeuedAt - item.enqueuedAt;
    tracker.recordDwell(dwellMs, dequeuedAt);

    let result: unknown;
    try {
      result = process(item.value, { attempt: 1, dwellMs, signal: this.#signal });
    } catch (error) {
      return this.#retry(worker, item, error, dwellMs, dequeuedAt);
    }

    if (!isThenable(result)) {
      this.#succeeded(dequeuedAt);
      return undefined;
    }

    return Promise.resolve(result).then(
      () => {
        if (!worker.abandoned) this.#succeeded(dequeuedAt);
      },
      (error: unknown) => this.#retry(worker, item, error, dwellMs, dequeuedAt),
    );
  }

  #succeeded(startedAt: number): void {
    const finishedAt = this.#config.clock();
    this.#config.tracker.recordCompletion(finishedAt - startedAt, finishedAt);
    this.#config.events.processed();
  }

  /** Handles a failed attempt, then retries with backoff until one succeeds or none is left. */
  async #retry(
    worker: Worker<T>,
    item: QueuedItem<T>,
    firstError: unknown,
    dwellMs: number,
    firstStartedAt: number,
  ): Promise<void> {
    const { clock, tracker, events, maxAttempts } = this.#config;
    let error = firstError;
    let startedAt = firstStartedAt;
    let delayMs = this.#config.initialDelayMs;

    for (let attempt = 1; ; attempt++) {
      if (worker.abandoned) return;
      events.failedAttempt();
      if (attempt >= maxAttempts) {
        const finishedAt = clock();
        tracker.recordCompletion(finishedAt - startedAt, finishedAt);
        events.deadLettered(item.value, error, attempt);
        return;
      }

      events.retried();
      await sleep(delayMs, this.#signal);
      // abandon() may have run during the sleep, which flow analysis cannot see.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set concurrently
      if (worker.abandoned) return;
      delayMs = Math.min(delayMs * this.#config.backoffFactor, this.#config.maxDelayMs);

      startedAt = clock();
      try {
        await this.#config.process(item.value, {
          attempt: attempt + 1,
          dwellMs,
          signal: this.#signal,
        });
        // abandon() may have run while the attempt was awaited.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set concurrently
        if (!worker.abandoned) this.#succeeded(startedAt);
        return;
      } catch (nextError) {
        error = nextError;
      }
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
