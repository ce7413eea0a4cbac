/**
 * A fixed-capacity FIFO ring buffer with reservations: the receiver's memory budget.
 *
 * @module
 */

import { monotonicClock, type Clock } from './clock.js';
import { QueueFullError } from './errors.js';
import { fn, integer, object } from './validate.js';

/** Options of {@link BoundedQueue}. */
export interface BoundedQueueOptions {
  /**
   * The most events the queue holds, reserved slots included. Fixed for the queue's lifetime:
   * the ring is allocated once and never grows.
   */
  capacity: number;
  /**
   * Stamps each item with its enqueue time, in milliseconds.
   * @default monotonicClock (performance.now)
   */
  clock?: Clock;
}

/** An item taken from the queue, with the time it was enqueued. */
export interface QueuedItem<T> {
  readonly value: T;
  /** The clock's reading when the item entered the queue, in milliseconds. */
  readonly enqueuedAt: number;
}

/**
 * A fixed-capacity queue whose every operation is O(1).
 *
 * A slot can be *reserved* before its item exists: an admitted HTTP request reserves one before
 * its body is read, then either fills it with {@link BoundedQueue.enqueueReserved} or gives it
 * back with {@link BoundedQueue.release}. Reserved slots count towards {@link BoundedQueue.depth},
 * so a request that was admitted never meets a full queue once its body has arrived.
 *
 * @example
 * const queue = new BoundedQueue<string>({ capacity: 2 });
 * queue.tryReserve(); // true: one slot held for a request still uploading
 * queue.enqueue('a'); // true: the last free slot
 * queue.enqueue('b'); // false: full
 * queue.enqueueReserved('c');
 * queue.dequeue()?.value; // 'a'
 */
export class BoundedQueue<T> {
  /** The most items the queue holds, reserved slots included. */
  readonly capacity: number;

  readonly #clock: Clock;
  readonly #values: (T | undefined)[];
  readonly #enqueuedAt: Float64Array;
  #head = 0;
  #size = 0;
  #reserved = 0;

  constructor(options: BoundedQueueOptions) {
    const parsed = object('options', options);
    this.capacity = integer('capacity', parsed.capacity, undefined, 1, 2 ** 30);
    this.#clock = fn('clock', parsed.clock, monotonicClock);
    this.#values = new Array<T | undefined>(this.capacity).fill(undefined);
    this.#enqueuedAt = new Float64Array(this.capacity);
  }

  /** Items waiting in the queue, reserved slots not included. */
  get size(): number {
    return this.#size;
  }

  /** Slots held for items that have not arrived yet. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Occupied slots: items queued plus slots reserved. Never above `capacity`. */
  get depth(): number {
    return this.#size + this.#reserved;
  }

  /** Slots neither filled nor reserved. */
  get available(): number {
    return this.capacity - this.#size - this.#reserved;
  }

  /** True when no slot is free. */
  get isFull(): boolean {
    return this.available === 0;
  }

  /** True when no item waits; reserved slots may still be held. */
  get isEmpty(): boolean {
    return this.#size === 0;
  }

  /** Holds a free slot for an item that will arrive later. False when the queue is full. */
  tryReserve(): boolean {
    if (this.available === 0) return false;
    this.#reserved++;
    return true;
  }

  /** Gives a reserved slot back without filling it. */
  release(): void {
    if (this.#reserved === 0) throw new RangeError('release() called with no slot reserved');
    this.#reserved--;
  }

  /** Appends an item into a free slot. False, and nothing changes, when the queue is full. */
  enqueue(value: T): boolean {
    if (this.available === 0) return false;
    this.#push(value);
    return true;
  }

  /** Fills a slot reserved earlier with {@link BoundedQueue.tryReserve}. */
  enqueueReserved(value: T): void {
    if (this.#reserved === 0) throw new QueueFullError(this.depth, this.capacity);
    this.#reserved--;
    this.#push(value);
  }

  /** Removes and returns the oldest item, or `undefined` when none waits. */
  dequeue(): QueuedItem<T> | undefined {
    if (this.#size === 0) return undefined;

    const index = this.#head;
    const value = this.#values[index] as T;
    const enqueuedAt = this.#enqueuedAt[index] ?? 0;
    // Clear the slot so the ring does not keep a dequeued event reachable.
    this.#values[index] = undefined;
    this.#head = index + 1 === this.capacity ? 0 : index + 1;
    this.#size--;
    return { value, enqueuedAt };
  }

  /** The enqueue time of the oldest item, or `undefined` when none waits. */
  peekEnqueuedAt(): number | undefined {
    return this.#size === 0 ? undefined : this.#enqueuedAt[this.#head];
  }

  /** Removes every waiting item and returns them oldest first. Reservations are kept. */
  drain(): T[] {
    const items: T[] = [];
    for (let item = this.dequeue(); item !== undefined; item = this.dequeue()) {
      items.push(item.value);
    }

    return items;
  }

  #push(value: T): void {
    let tail = this.#head + this.#size;
    if (tail >= this.capacity) tail -= this.capacity;
    this.#values[tail] = value;
    this.#enqueuedAt[tail] = this.#clock();
    this.#size++;
  }
}
