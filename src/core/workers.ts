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

/** One event taken from the queue and not yet finished. */
interface Job<T> {
  /** The event, once the dequeue has resolved. */
  item: QueuedItem<T> | undefined;
  /** Set when shutdown gave up on the job: whatever it does later is no longer counted. */
  abandoned: boolean;
  /** The dequeue of a backend that answers asynchronously, until it resolves. */
  dequeuing: Promise<QueuedItem<T> | undefined> | undefined;
}

/** Takes events from the queue and runs them, never more than `concurrency` at once. */
export class WorkerPool<T> {
  readonly #config: WorkerPoolConfig<T>;
  readonly #jobs = new Set<Job<T>>();
  // One controller for the whole pool: abandon() gives up on every job at once, and a controller
  // per event would cost more than the rest of the event's bookkeeping together.
  readonly #controller = new AbortController();
  readonly #signal = this.#controller.signal;
  #stopped = false;

  constructor(config: WorkerPoolConfig<T>) {
    this.#config = config;
  }

  /** Jobs taken from the queue and not finished: being processed or waiting to retry. */
  get inFlight(): number {
    return this.#jobs.size;
  }

  /** Starts jobs while a worker is free and an event waits. Cheap to call after any change. */
  pump(): void {
    const { queue, concurrency } = this.#config;
    while (!this.#stopped && this.#jobs.size < concurrency && queue.size > 0) {
      const job: Job<T> = { item: undefined, abandoned: false, dequeuing: undefined };
      // Counted before the dequeue resolves, so a slow backend cannot oversubscribe the workers.
      this.#jobs.add(job);
      void this.#run(job);
    }
  }

  /**
   * Stops taking events and gives up on the jobs still running: their signals abort, and the
   * events they hold are returned so that the caller can keep them. Events still on their way
   * out of an asynchronous backend are returned as promises: they were never attempted.
   */
  abandon(): { interrupted: T[]; dequeuing: Promise<QueuedItem<T> | undefined>[] } {
    this.#stopped = true;
    const interrupted: T[] = [];
    const dequeuing: Promise<QueuedItem<T> | undefined>[] = [];
    for (const job of this.#jobs) {
      job.abandoned = true;
      if (job.item !== undefined) interrupted.push(job.item.value);
      else if (job.dequeuing !== undefined) dequeuing.push(job.dequeuing);
    }

    this.#jobs.clear();
    this.#controller.abort();
    return { interrupted, dequeuing };
  }

  async #run(job: Job<T>): Promise<void> {
    try {
      const dequeued = this.#config.queue.dequeue();
      if (dequeued instanceof Promise) job.dequeuing = dequeued;
      const item = await dequeued;
      job.dequeuing = undefined;
      // An item that arrives after abandon() belongs to the dequeuing list handed to close().
      if (item !== undefined && !job.abandoned) await this.#attempt(job, item);
    } finally {
      if (!job.abandoned) {
        this.#jobs.delete(job);
        this.#config.events.settled();
        this.pump();
      }
    }
  }

  async #attempt(job: Job<T>, item: QueuedItem<T>): Promise<void> {
    const { clock, tracker, events, maxAttempts } = this.#config;
    job.item = item;
    // Each clock reading serves every figure taken at that moment: reads cost ~100 ns here.
    const dequeuedAt = clock();
    const dwellMs = dequeuedAt - item.enqueuedAt;
    tracker.recordDwell(dwellMs, dequeuedAt);
    let delayMs = this.#config.initialDelayMs;

    for (let attempt = 1; ; attempt++) {
      const startedAt = attempt === 1 ? dequeuedAt : clock();
      const context: ProcessContext = { attempt, dwellMs, signal: this.#signal };
      try {
        await this.#config.process(item.value, context);
        if (job.abandoned) return;
        const finishedAt = clock();
        tracker.recordCompletion(finishedAt - startedAt, finishedAt);
        events.processed();
        return;
      } catch (error) {
        if (job.abandoned) return;
        events.failedAttempt();

        if (attempt >= maxAttempts) {
          const finishedAt = clock();
          tracker.recordCompletion(finishedAt - startedAt, finishedAt);
          events.deadLettered(item.value, error, attempt);
          return;
        }
      }

      events.retried();
      await sleep(delayMs, this.#signal);
      // abandon() may have run during the sleep, which flow analysis cannot see.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set concurrently
      if (job.abandoned) return;
      delayMs = Math.min(delayMs * this.#config.backoffFactor, this.#config.maxDelayMs);
    }
  }
}
