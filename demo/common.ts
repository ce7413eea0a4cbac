/**
 * What the two demo receivers share: the event they take, the slow work they do, the ledger in
 * which they record each event they finish (its id, to prove that every accepted event was
 * processed exactly once, and its time in the queue, for the dwell figures), and the interface
 * the receiver process drives them through.
 *
 * @module
 */

import type { RequestListener } from 'node:http';

/** The webhook event the demo sends: an id and a payload of a realistic size. */
export interface DemoEvent {
  readonly id: string;
  readonly type: string;
  readonly data: { readonly padding: string };
}

/**
 * Checks that a parsed body is a {@link DemoEvent}; throwing makes the receiver answer 400.
 *
 * @example
 * toDemoEvent({ id: 'evt-1', type: 'order.created', data: { padding: '' } });
 */
export function toDemoEvent(body: unknown): DemoEvent {
  const candidate = body as Partial<DemoEvent> | null;
  if (typeof candidate?.id !== 'string' || typeof candidate.data?.padding !== 'string') {
    throw new TypeError('expected { id: string, data: { padding: string } }');
  }

  return candidate as DemoEvent;
}

/** Processed ids and dwell times, in the order events finished. */
export class Ledger {
  readonly processedIds: string[] = [];
  readonly #dwellMs: number[] = [];

  /** Records one event that finished processing after waiting `dwellMs` in the queue. */
  record(id: string, dwellMs: number): void {
    this.processedIds.push(id);
    this.#dwellMs.push(dwellMs);
  }

  get processed(): number {
    return this.processedIds.length;
  }

  /** The nearest-rank percentile `p` (0 to 1) of every dwell recorded; 0 when none was. */
  dwellPercentileMs(p: number): number {
    if (this.#dwellMs.length === 0) return 0;

    const sorted = Float64Array.from(this.#dwellMs).sort();
    const rank = Math.max(1, Math.ceil(p * sorted.length));
    return sorted[rank - 1] ?? 0;
  }
}

/** Resolves after `ms` milliseconds: the slow work every demo receiver does per event. */
export function work(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What the receiver process needs of either demo receiver. */
export interface DemoReceiver {
  readonly listener: RequestListener;
  /** The resolved watermarks, in events (0 when the receiver has none). */
  readonly highWatermark: number;
  readonly lowWatermark: number;
  /** The current depth, whether new requests are admitted and why not, and the drain rate. */
  state(): {
    depth: number;
    accepting: boolean;
    pausedBy: string | undefined;
    drainRatePerSecond: number;
  };
  /** The largest depth seen so far. */
  readonly peakDepth: number;
  /** Resolves once every accepted event has been processed. */
  onIdle(): Promise<void>;
}
