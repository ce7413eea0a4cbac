/**
 * The messages between the demo's two processes: the receiver (a child process, so that its
 * memory is measured on its own) and the parent, which floods it and draws the report.
 *
 * They travel over the IPC channel that `child_process.fork()` opens.
 *
 * @module
 */

/** Which receiver the child runs. */
export type ReceiverMode = 'guarded' | 'unguarded';

/** The receiver's settings, passed to the child as one JSON argument. */
export interface ReceiverSettings {
  readonly mode: ReceiverMode;
  /** The queue's capacity (guarded only; the unguarded queue has none). */
  readonly capacity: number;
  /** High and low watermarks as fractions of `capacity`. */
  readonly highWatermark: number;
  readonly lowWatermark: number;
  /** Events processed at the same time. */
  readonly workers: number;
  /** How long each event takes to process, in milliseconds: the deliberately slow work. */
  readonly workMs: number;
  /** How often the receiver samples itself, in milliseconds. */
  readonly sampleEveryMs: number;
}

/** One reading of the receiver's state, taken every `sampleEveryMs`. */
export interface Sample {
  /** Milliseconds since the receiver started listening. */
  readonly atMs: number;
  /** Queued plus reserved events. */
  readonly depth: number;
  readonly accepting: boolean;
  /** What holds the gate closed, when it is closed. */
  readonly pausedBy: string | undefined;
  /** Resident set size, in bytes. */
  readonly rssBytes: number;
  readonly processed: number;
  /** Events leaving the queue per second, as the receiver measures it (0 when unguarded). */
  readonly drainRatePerSecond: number;
}

/** Everything the receiver knows once it has drained. */
export interface ReceiverReport {
  /** The ids of the events processed, in the order they finished. */
  readonly processedIds: readonly string[];
  /** The largest depth seen, measured at every admission rather than sampled. */
  readonly peakDepth: number;
  /** The resolved watermarks, in slots (0 for the unguarded receiver). */
  readonly highWatermark: number;
  readonly lowWatermark: number;
  /** RSS before the flood and its sampled peak, in bytes. */
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
  /** p95 and max of every event's time in the queue, in milliseconds. */
  readonly p95DwellMs: number;
  readonly maxDwellMs: number;
}

/** Child to parent. */
export type ReceiverMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'sample'; readonly sample: Sample }
  | { readonly type: 'report'; readonly report: ReceiverReport };

/** Parent to child: the flood is over; drain, report, and exit. */
export interface DrainMessage {
  readonly type: 'drain';
}
