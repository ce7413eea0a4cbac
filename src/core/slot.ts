/**
 * The slot an admitted request holds: filled once with its event, or given back.
 *
 * @module
 */

import { SlotSettledError } from './errors.js';
import type { Slot } from './receiver-types.js';

/** How a slot reaches back into its receiver without widening the receiver's public surface. */
export interface SlotOwner<T> {
  /** Queues the event; on failure the reservation is returned and `slot.failed()` called. */
  commit(event: T, slot: ReservedSlot<T>): Promise<void>;
  release(): void;
}

export class ReservedSlot<T> implements Slot<T> {
  readonly admitted = true as const;
  #state: Slot<T>['state'] = 'reserved';
  readonly #owner: SlotOwner<T>;

  constructor(owner: SlotOwner<T>) {
    this.#owner = owner;
  }

  get state(): Slot<T>['state'] {
    return this.#state;
  }

  enqueue(event: T): Promise<void> {
    if (this.#state !== 'reserved') return Promise.reject(new SlotSettledError(this.#state));

    this.#state = 'enqueued';
    return this.#owner.commit(event, this);
  }

  /** The event could not be queued and the reservation was returned: the slot holds nothing. */
  failed(): void {
    this.#state = 'released';
  }

  release(): void {
    if (this.#state !== 'reserved') return;

    this.#state = 'released';
    this.#owner.release();
  }
}
