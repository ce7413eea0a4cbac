/**
 * What the metrics exporters read from a receiver's snapshot, described once so that the
 * Prometheus and OpenTelemetry exporters publish the same figures under their own naming rules.
 *
 * @module
 */

import type { LatencySummary } from '../core/dwell-tracker.js';
import type { BackpressureCounters, BackpressureSnapshot } from '../core/receiver.js';

/** Anything with a snapshot: a receiver of any event type, or a stand-in in tests. */
export interface SnapshotSource {
  snapshot(): BackpressureSnapshot;
}

/** The two names of one figure: Prometheus (snake case, unit suffix) and OpenTelemetry (dotted). */
interface Names {
  readonly prometheus: string;
  readonly otel: string;
}

/** A figure that rises and falls, such as the queue depth. */
export interface LevelReading extends Names {
  readonly description: string;
  /** UCUM-style unit for OpenTelemetry; Prometheus carries units in the name instead. */
  readonly unit: string;
  /**
   * True when summing the figure over several receivers means something (queue depth does, a
   * 0/1 flag does not). OpenTelemetry reports such figures as up-down counters, the rest as gauges.
   */
  readonly additive: boolean;
  read(snapshot: BackpressureSnapshot): number;
}

/** A windowed latency summary, published as one series per quantile. */
export interface LatencyReading extends Names {
  readonly description: string;
  read(snapshot: BackpressureSnapshot): LatencySummary;
}

/** A count since the receiver was created: only ever rises while the receiver lives. */
export interface TotalReading extends Names {
  readonly description: string;
  readonly unit: string;
  read(counters: BackpressureCounters): number;
}

export { rejectionReasons } from '../core/admit.js';

/** The quantiles of each latency summary, with the field of `LatencySummary` that holds each. */
export const quantiles = [
  { quantile: 0.5, field: 'p50Ms' },
  { quantile: 0.95, field: 'p95Ms' },
  { quantile: 0.99, field: 'p99Ms' },
] as const satisfies readonly { quantile: number; field: keyof LatencySummary }[];

/** Figures that rise and fall: depth, slots, flags and the drain rate. */
export const levels: readonly LevelReading[] = [
  {
    prometheus: 'queue_depth',
    otel: 'queue.depth',
    description: 'Events queued plus slots reserved for requests still uploading.',
    unit: '{event}',
    additive: true,
    read: (snapshot) => snapshot.depth,
  },
  {
    prometheus: 'queue_reserved',
    otel: 'queue.reserved',
    description: 'Slots reserved for admitted requests whose body is not yet enqueued.',
    unit: '{slot}',
    additive: true,
    read: (snapshot) => snapshot.reserved,
  },
  {
    prometheus: 'queue_capacity',
    otel: 'queue.capacity',
    description: 'The most events queued or reserved at once.',
    unit: '{event}',
    additive: true,
    read: (snapshot) => snapshot.capacity,
  },
  {
    prometheus: 'queue_high_watermark',
    otel: 'queue.high_watermark',
    description: 'The depth at which admission stops.',
    unit: '{event}',
    additive: false,
    read: (snapshot) => snapshot.highWatermark,
  },
  {
    prometheus: 'queue_low_watermark',
    otel: 'queue.low_watermark',
    description: 'The depth at which stopped admission resumes.',
    unit: '{event}',
    additive: false,
    read: (snapshot) => snapshot.lowWatermark,
  },
  {
    prometheus: 'in_flight',
    otel: 'in_flight',
    description: 'Events taken from the queue and not yet finished, retries included.',
    unit: '{event}',
    additive: true,
    read: (snapshot) => snapshot.inFlight,
  },
  {
    prometheus: 'accepting',
    otel: 'accepting',
    description: '1 while a request arriving now would be admitted, 0 otherwise.',
    unit: '1',
    additive: false,
    read: (snapshot) => (snapshot.accepting ? 1 : 0),
  },
  {
    prometheus: 'drain_rate_per_second',
    otel: 'drain.rate',
    description: 'Events finished per second, smoothed over the rate window.',
    unit: '{event}/s',
    additive: false,
    read: (snapshot) => snapshot.drainRatePerSecond,
  },
];

/** The windowed latency summaries, in milliseconds in the snapshot. */
export const latencies: readonly LatencyReading[] = [
  {
    prometheus: 'dwell_seconds',
    otel: 'dwell.duration',
    description: 'Time events waited in the queue before their first attempt, recent window.',
    read: (snapshot) => snapshot.dwell,
  },
  {
    prometheus: 'processing_seconds',
    otel: 'processing.duration',
    description: 'Time spent in process() per event, recent window.',
    read: (snapshot) => snapshot.processing,
  },
];

/** The counters published as they are, without labels. */
export const totals: readonly TotalReading[] = [
  {
    prometheus: 'admitted_total',
    otel: 'requests.admitted',
    description: 'Requests given a slot.',
    unit: '{request}',
    read: (counters) => counters.admitted,
  },
  {
    prometheus: 'processed_total',
    otel: 'events.processed',
    description: 'Events processed successfully.',
    unit: '{event}',
    read: (counters) => counters.processed,
  },
  {
    prometheus: 'retried_total',
    otel: 'events.retried',
    description: 'Failed attempts followed by a retry.',
    unit: '{retry}',
    read: (counters) => counters.retried,
  },
  {
    prometheus: 'dead_lettered_total',
    otel: 'events.dead_lettered',
    description: 'Events that failed every attempt.',
    unit: '{event}',
    read: (counters) => counters.deadLettered,
  },
];

/** The rejection counter, split by reason; kept apart because of its extra label. */
export const rejected = {
  prometheus: 'rejected_total',
  otel: 'requests.rejected',
  description: 'Requests turned away, by reason.',
  unit: '{request}',
} as const;
