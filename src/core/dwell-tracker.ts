/**
 * Dwell (enqueue to dequeue) and processing times, in bounded memory.
 *
 * @module
 */

import { monotonicClock, type Clock } from './clock.js';
import { DrainRateMeter } from './drain-rate.js';
import { fn, integer, number, object } from './validate.js';

/** Options of {@link DwellTracker}. */
export interface DwellTrackerOptions {
  /**
   * How many recent samples each ring keeps. Memory is fixed by this number: four `Float64Array`s
   * of this length (value and time for dwell and for processing) plus one scratch array.
   * @default 1024
   */
  sampleSize?: number;
  /**
   * Only samples younger than this count towards percentiles, so that a slowdown that ended
   * stops showing once the window has passed.
   * @default 10_000
   */
  windowMs?: number;
  /**
   * Percentiles stay `undefined` until the window holds this many samples: a p95 of three samples
   * is noise, not a signal.
   * @default 20
   */
  minSamples?: number;
  /**
   * Computed percentiles are reused for this long. Sorting the window costs tens of microseconds,
   * which must not be paid on every request.
   * @default 250
   */
  refreshMs?: number;
  /**
   * The drain rate's smoothing window (see {@link DrainRateMeter}).
   * @default 10_000
   */
  rateWindowMs?: number;
  /** @default monotonicClock */
  clock?: Clock;
}

/** Percentiles of recent samples, in milliseconds. */
export interface LatencySummary {
  /** Samples inside the window. */
  readonly samples: number;
  /** `undefined` until `minSamples` samples are inside the window. */
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

/**
 * Tracks how long events wait in the queue (dwell) and how long processing takes, plus the drain
 * rate. A rising p95 dwell is the first sign of a slow consumer; the drain rate turns a backlog
 * into a `Retry-After`.
 *
 * @example
 * const tracker = new DwellTracker({ sampleSize: 512 });
 * tracker.recordDwell(12.5);
 * tracker.recordCompletion(40);
 * tracker.dwell.p95Ms; // undefined until 20 samples are in the window
 */
export class DwellTracker {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #minSamples: number;
  readonly #refreshMs: number;
  readonly #dwell: SampleRing;
  readonly #processing: SampleRing;
  readonly #rate: DrainRateMeter;

  /**
   * @param optionPath Prefixed to option names in error messages, for a tracker built from a
   *   nested options object (the receiver passes `'tracking.'`).
   */
  constructor(options: DwellTrackerOptions = {}, optionPath = '') {
    const parsed = object(optionPath === '' ? 'options' : optionPath.slice(0, -1), options);
    const name = (option: string): string => optionPath + option;
    this.#clock = fn(name('clock'), parsed.clock, monotonicClock);
    const sampleSize = integer(name('sampleSize'), parsed.sampleSize, 1024, 1, 1 << 20);
    this.#windowMs = number(name('windowMs'), parsed.windowMs, 10_000, 1);
    this.#minSamples = integer(name('minSamples'), parsed.minSamples, 20, 1, sampleSize);
    this.#refreshMs = number(name('refreshMs'), parsed.refreshMs, 250, 0);
    const rateWindowMs = number(name('rateWindowMs'), parsed.rateWindowMs, 10_000, 1);
    this.#dwell = new SampleRing(sampleSize);
    this.#processing = new SampleRing(sampleSize);
    this.#rate = new DrainRateMeter({
      clock: this.#clock,
      windowMs: rateWindowMs,
      tickMs: Math.min(1_000, rateWindowMs),
    });
  }

  /** Records one event's time in the queue. `now` spares a clock reading the caller has made. */
  recordDwell(dwellMs: number, now = this.#clock()): void {
    this.#dwell.add(dwellMs, now);
  }

  /**
   * Records one event leaving the system after `processingMs` of work; feeds the drain rate.
   * `now` spares a clock reading the caller has made.
   */
  recordCompletion(processingMs: number, now = this.#clock()): void {
    this.#processing.add(processingMs, now);
    this.#rate.record(1, now);
  }

  /** Dwell percentiles over the window. */
  get dwell(): LatencySummary {
    return this.#summary(this.#dwell);
  }

  /** Processing-time percentiles over the window. */
  get processing(): LatencySummary {
    return this.#summary(this.#processing);
  }

  /** Events completed per second, smoothed. */
  get drainRatePerSecond(): number {
    return this.#rate.ratePerSecond;
  }

  #summary(ring: SampleRing): LatencySummary {
    const now = this.#clock();
    if (ring.cached !== undefined && now - ring.cachedAt < this.#refreshMs) return ring.cached;

    ring.cached = ring.summarize(now - this.#windowMs, this.#minSamples);
    ring.cachedAt = now;
    return ring.cached;
  }
}

/** A fixed ring of (value, time) samples. Old samples are overwritten, never accumulated. */
class SampleRing {
  readonly #values: Float64Array;
  readonly #times: Float64Array;
  readonly #scratch: Float64Array;
  #next = 0;
  #count = 0;
  cached: LatencySummary | undefined;
  cachedAt = 0;

  constructor(size: number) {
    this.#values = new Float64Array(size);
    this.#times = new Float64Array(size);
    this.#scratch = new Float64Array(size);
  }

  add(value: number, time: number): void {
    this.#values[this.#next] = value;
    this.#times[this.#next] = time;
    this.#next = this.#next + 1 === this.#values.length ? 0 : this.#next + 1;
    if (this.#count < this.#values.length) this.#count++;
  }

  summarize(since: number, minSamples: number): LatencySummary {
    let inWindow = 0;
    for (let i = 0; i < this.#count; i++) {
      if ((this.#times[i] ?? 0) >= since) this.#scratch[inWindow++] = this.#values[i] ?? 0;
    }

    if (inWindow < minSamples) {
      return { samples: inWindow, p50Ms: undefined, p95Ms: undefined, p99Ms: undefined };
    }

    // A typed array sorts numerically and in place, without allocating.
    const sorted = this.#scratch.subarray(0, inWindow).sort();
    return {
      samples: inWindow,
      p50Ms: nearestRank(sorted, 0.5),
      p95Ms: nearestRank(sorted, 0.95),
      p99Ms: nearestRank(sorted, 0.99),
    };
  }
}

/** The nearest-rank percentile: the smallest sample with a share `p` of samples at or below it. */
function nearestRank(sorted: Float64Array, p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}
