/**
 * The contract between the receiver and the queue that holds its events.
 *
 * The in-memory {@link BoundedQueue} is the default. A shared backend (Redis Streams, say) meets
 * the same contract: admission stays a synchronous read of local counters, while putting an
 * event in and taking one out may go over the network.
 *
 * @module
 */

import type { QueuedItem } from './bounded-queue.js';

/**
 * What the receiver needs of a queue. `BoundedQueue` implements it as it is.
 *
 * Counters must be cheap, synchronous reads: they are consulted on every request. Only
 * `enqueueReserved` and `dequeue` may return promises.
 */
export interface ReceiverQueue<T> {
  /** The most events queued or reserved at once. */
  readonly capacity: number;
  /** Events waiting. */
  readonly size: number;
  /** Slots held for events still arriving. */
  readonly reserved: number;
  /** Holds a slot for an event that will arrive later; false when none is free. */
  tryReserve(): boolean;
  /** Gives back a slot reserved earlier, unfilled. */
  release(): void;
  /**
   * Fills a slot reserved earlier. Resolves once the event is safely queued. On failure (a throw
   * or a rejection) the slot must still count as reserved: the receiver releases it.
   */
  enqueueReserved(value: T): void | Promise<void>;
  /** Takes the oldest event, or `undefined` when none waits. */
  dequeue(): QueuedItem<T> | undefined | Promise<QueuedItem<T> | undefined>;
  /** Removes every waiting event and returns them, oldest first; used at shutdown. */
  drain(): T[] | Promise<T[]>;
  /** The enqueue time of the oldest waiting event, when the backend knows it cheaply. */
  peekEnqueuedAt?(): number | undefined;
}
