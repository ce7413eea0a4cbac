/**
 * The receiver's public shapes: the slot an admitted request gets, the snapshot, and what
 * `close()` takes and returns.
 *
 * @module
 */

import type { Rejection, RejectionReason } from './admit.js';
import type { LatencySummary } from './dwell-tracker.js';

/**
 * A reserved place in the queue, given to an admitted request. Fill it with `enqueue()` once the
 * body is parsed, or `release()` it if the request fails; releasing after an enqueue is a no-op,
 * so an adapter may release unconditionally when the response ends.
 */
export interface Slot<T> {
  readonly admitted: true;
  /** `reserved` until the slot is filled (`enqueued`) or given back (`released`). */
  readonly state: 'reserved' | 'enqueued' | 'released';
  /**
   * Puts the event into the reserved slot. Resolves once it is queued; only then may the request
   * be answered with a 2xx. Rejects with `ClosedError` after `close()` has given up waiting.
   */
  enqueue(event: T): Promise<void>;
  /** Gives the slot back unfilled. Does nothing once the slot is settled. */
  release(): void;
}

/** The answer to `tryAdmit()`: a slot to fill, or a rejection to send. */
export type Admission<T> = Slot<T> | Rejection;

/** Counters since the receiver was created. */
export interface BackpressureCounters {
  /** Requests given a slot. */
  readonly admitted: number;
  readonly rejected: number;
  readonly rejectedByReason: Readonly<Partial<Record<RejectionReason, number>>>;
  /** Slots filled with an event: every event answered with a 2xx. */
  readonly enqueued: number;
  /** Slots given back unfilled (aborted upload, bad body). */
  readonly released: number;
  readonly processed: number;
  /** Attempts that threw or rejected, retried or not. */
  readonly failedAttempts: number;
  readonly retried: number;
  readonly deadLettered: number;
  /** Events handed back by `close()`. */
  readonly returned: number;
}

/** A point-in-time view for health routes and metrics. */
export interface BackpressureSnapshot {
  readonly capacity: number;
  /** Queued plus reserved. */
  readonly depth: number;
  readonly queued: number;
  readonly reserved: number;
  readonly inFlight: number;
  readonly concurrency: number;
  readonly highWatermark: number;
  readonly lowWatermark: number;
  readonly accepting: boolean;
  /** What holds admission closed, or `undefined` while accepting. */
  readonly pausedBy: RejectionReason | undefined;
  readonly closing: boolean;
  readonly closed: boolean;
  readonly drainRatePerSecond: number;
  readonly dwell: LatencySummary;
  readonly processing: LatencySummary;
  /** The current value of each extra gate input, by its reason. */
  readonly signals: Readonly<Partial<Record<RejectionReason, number>>>;
  readonly counters: BackpressureCounters;
}

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * How long to wait for uploads in progress, the queue and the running jobs, in milliseconds.
   * `Infinity` waits for as long as it takes.
   * @default 10_000
   */
  timeoutMs?: number;
}

/** What `close()` hands back: the events it could not see through. */
export interface CloseResult<T> {
  /** Events still queued at the deadline, never attempted. Oldest first. */
  readonly unprocessed: T[];
  /**
   * Events whose processing had started but not finished at the deadline. Their `signal` was
   * aborted; they may have had effects, so replay them only if `process` is idempotent.
   */
  readonly interrupted: T[];
  /** True when everything finished before the deadline. */
  readonly drained: boolean;
}

/** Payload of a `pause` event. */
export interface PauseEvent {
  readonly reason: RejectionReason;
  readonly depth: number;
}

/** Payload of a `resume` event. */
export interface ResumeEvent {
  readonly depth: number;
}
