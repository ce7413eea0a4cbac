/**
 * Gate inputs read from the Node process: event-loop delay and utilisation, heap and RSS.
 *
 * A queue that has room says nothing about a process that is already struggling: a blocked event
 * loop or a heap near its limit is a reason to turn senders away before the queue fills. Each
 * factory returns a signal for the receiver's `signals` option; it closes the gate at its high
 * threshold with its own rejection reason, reopens at its low one, and shows its last reading in
 * `snapshot().signals`. Node only: these read `node:perf_hooks`, `node:v8` and `process`.
 *
 * @module
 */

import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

import { OptionRangeError } from '../core/errors.js';
import { fn, integer, number, object } from '../core/validate.js';
import { SampledSignal, type ProcessSignal, type ReadingSource } from './sampled-signal.js';

export type { ProcessSignal } from './sampled-signal.js';

/** The longest delay `setInterval` honours; beyond it Node fires after 1 ms instead. */
const maxTimerMs = 2_147_483_647;

/** Options of {@link eventLoopDelaySignal}. */
export interface EventLoopDelaySignalOptions {
  /** Stop admitting once the p99 event-loop delay reaches this many milliseconds. */
  highMs: number;
  /** Admit again once it has fallen to this many milliseconds; below `highMs`. */
  lowMs: number;
  /**
   * How often the loop is probed, in milliseconds: the monitor's resolution. Delay is reported
   * beyond this interval, so an idle loop reads close to 0.
   * @default 10
   */
  sampleIntervalMs?: number;
  /**
   * The p99 covers the last `windowMs` milliseconds and is refreshed every half window.
   * @default 1_000
   */
  windowMs?: number;
  /**
   * Replaces the built-in monitor: returns the delay in milliseconds. Called by `start()` and
   * then every half window. Meant for tests and for delay measured elsewhere; it must not throw.
   * @default undefined (monitorEventLoopDelay)
   */
  sample?: () => number;
}

/** Options of {@link eventLoopUtilizationSignal}. */
export interface EventLoopUtilizationSignalOptions {
  /** Stop admitting once the loop is busy this fraction of the time, from 0 to 1. */
  high: number;
  /** Admit again once utilisation has fallen to this fraction; below `high`. */
  low: number;
  /**
   * Utilisation covers the last `windowMs` milliseconds and is refreshed every half window.
   * @default 1_000
   */
  windowMs?: number;
  /**
   * Replaces `performance.eventLoopUtilization()`: returns a fraction from 0 to 1. Called by
   * `start()` and then every half window; it must not throw.
   * @default undefined (performance.eventLoopUtilization)
   */
  sample?: () => number;
}

/** Options of {@link heapUsedSignal} and {@link rssSignal}. */
export interface MemorySignalOptions {
  /** Stop admitting once memory use reaches this many bytes. */
  highBytes: number;
  /** Admit again once it has fallen to this many bytes; below `highBytes`. */
  lowBytes: number;
  /**
   * Milliseconds between two readings.
   * @default 1_000
   */
  sampleIntervalMs?: number;
  /**
   * Replaces the built-in reading: returns bytes. Called by `start()` and then every
   * `sampleIntervalMs`; it must not throw.
   * @default undefined (the process's own figure)
   */
  sample?: () => number;
}

/**
 * Closes the gate while the event loop lags: the p99 of its delay over a recent window, in
 * milliseconds, from `perf_hooks.monitorEventLoopDelay`. Reason: `event_loop_delay`.
 *
 * @example
 * createBackpressure({
 *   process,
 *   signals: [eventLoopDelaySignal({ highMs: 200, lowMs: 50 })],
 * });
 */
export function eventLoopDelaySignal(options: EventLoopDelaySignalOptions): ProcessSignal {
  const raw = object('options', options);
  const [high, low] = thresholds(raw, 'highMs', 'lowMs', Infinity);
  const sampleIntervalMs = integer('sampleIntervalMs', raw.sampleIntervalMs, 10, 1, maxTimerMs);
  const windowMs = number('windowMs', raw.windowMs, 1_000, 2, maxTimerMs);
  // Each half window must hold at least one probe, or a reading would cover nothing.
  if (windowMs < 2 * sampleIntervalMs) {
    throw new OptionRangeError(
      'windowMs',
      `at least twice sampleIntervalMs (${2 * sampleIntervalMs})`,
      windowMs,
    );
  }

  const sample = fn<() => number>('sample', raw.sample);
  return new SampledSignal({
    reason: 'event_loop_delay',
    high,
    low,
    refreshMs: windowMs / 2,
    source: sample === undefined ? eventLoopDelaySource(sampleIntervalMs) : { take: sample },
  });
}

/**
 * Closes the gate while the event loop is busy: the fraction of a recent window it spent running
 * code rather than waiting, from `performance.eventLoopUtilization()`. Reason:
 * `event_loop_utilization`.
 *
 * @example
 * eventLoopUtilizationSignal({ high: 0.95, low: 0.8 });
 */
export function eventLoopUtilizationSignal(
  options: EventLoopUtilizationSignalOptions,
): ProcessSignal {
  const raw = object('options', options);
  const [high, low] = thresholds(raw, 'high', 'low', 1);
  const windowMs = number('windowMs', raw.windowMs, 1_000, 2, maxTimerMs);
  const sample = fn<() => number>('sample', raw.sample);
  return new SampledSignal({
    reason: 'event_loop_utilization',
    high,
    low,
    refreshMs: windowMs / 2,
    source: sample === undefined ? eventLoopUtilizationSource() : { take: sample },
  });
}

/**
 * Closes the gate while the V8 heap holds too much: `used_heap_size` from
 * `v8.getHeapStatistics()`, in bytes. Reason: `heap_used`. Thresholds are bytes rather than a
 * fraction of the heap limit so that they read the same as `snapshot().signals`; derive them from
 * `getHeapStatistics().heap_size_limit` at start-up to follow `--max-old-space-size`.
 *
 * @example
 * const limit = getHeapStatistics().heap_size_limit;
 * heapUsedSignal({ highBytes: limit * 0.85, lowBytes: limit * 0.7 });
 */
export function heapUsedSignal(options: MemorySignalOptions): ProcessSignal {
  return memorySignal('heap_used', options, () => getHeapStatistics().used_heap_size);
}

/**
 * Closes the gate while the process's resident set is too large: `process.memoryUsage.rss()`, in
 * bytes. It counts buffers and native memory that the heap figure misses. Reason: `rss`.
 *
 * @example
 * rssSignal({ highBytes: 1.5 * 1024 ** 3, lowBytes: 1.2 * 1024 ** 3 });
 */
export function rssSignal(options: MemorySignalOptions): ProcessSignal {
  return memorySignal('rss', options, () => process.memoryUsage.rss());
}

function memorySignal(
  reason: 'heap_used' | 'rss',
  options: MemorySignalOptions,
  read: () => number,
): ProcessSignal {
  const raw = object('options', options);
  const [high, low] = thresholds(raw, 'highBytes', 'lowBytes', Infinity);
  const sampleIntervalMs = number('sampleIntervalMs', raw.sampleIntervalMs, 1_000, 1, maxTimerMs);
  const sample = fn<() => number>('sample', raw.sample);
  return new SampledSignal({
    reason,
    high,
    low,
    refreshMs: sampleIntervalMs,
    source: { take: sample ?? read },
  });
}

/** Reads a required high and low threshold pair, both within `[0, max]`, low below high. */
function thresholds(
  raw: Record<string, unknown>,
  highName: string,
  lowName: string,
  max: number,
): [high: number, low: number] {
  const high = number(highName, raw[highName], undefined, 0, max);
  const low = number(lowName, raw[lowName], undefined, 0, max);
  if (low >= high) throw new OptionRangeError(lowName, `below ${highName} (${high})`, low);
  return [high, low];
}

/**
 * Two delay monitors taking turns: each reading comes from the one reset two readings ago, so it
 * covers a whole window. Turns are needed because a monitor drops the first interval after a
 * reset; a stall in that interval still shows in the other monitor's next reading.
 *
 * A stall is recorded by the monitor's own timer only once the loop is free again, and a refresh
 * due during the stall may run before that timer. Reading two loop turns after the refresh
 * (immediate inside immediate) lets every overdue probe fire first, so that no monitor is read
 * and reset with a stall still unrecorded.
 */
function eventLoopDelaySource(resolutionMs: number): ReadingSource {
  let monitors: IntervalHistogram[] = [];
  let turn = 0;
  let report: (value: number) => void = () => undefined;
  let pending: NodeJS.Immediate | undefined;

  const measure = (): void => {
    pending = undefined;
    const monitor = monitors[turn];
    if (monitor === undefined) return;

    turn = 1 - turn;
    // An empty histogram reports meaningless percentiles: no probe has fired yet.
    const p99Ms = monitor.count === 0 ? resolutionMs : monitor.percentile(99) / 1e6;
    monitor.reset();
    // The monitor records whole intervals between probes; only the excess is delay.
    report(Math.max(0, p99Ms - resolutionMs));
  };

  return {
    begin: (onReading) => {
      report = onReading;
      monitors = [0, 1].map(() => monitorEventLoopDelay({ resolution: resolutionMs }));
      for (const monitor of monitors) monitor.enable();
    },
    take: () => {
      pending ??= setImmediate(() => {
        pending = setImmediate(measure).unref();
      }).unref();
      return undefined;
    },
    end: () => {
      if (pending !== undefined) clearImmediate(pending);
      pending = undefined;
      for (const monitor of monitors) monitor.disable();
      monitors = [];
    },
  };
}

/** Utilisation between now and the reading taken two refreshes ago: one whole window. */
function eventLoopUtilizationSource(): ReadingSource {
  type Utilization = ReturnType<typeof performance.eventLoopUtilization>;
  let older: Utilization | undefined;
  let newer: Utilization | undefined;

  return {
    begin: () => {
      older = undefined;
      newer = undefined;
    },
    take: () => {
      const now = performance.eventLoopUtilization();
      // Until two readings exist, measure from the only one there is.
      const since = older ?? newer;
      older = newer;
      newer = now;
      return since === undefined ? 0 : performance.eventLoopUtilization(now, since).utilization;
    },
  };
}
