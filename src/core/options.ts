/**
 * The receiver's options, each documented where it is declared, and their parsing into one
 * complete, validated configuration.
 *
 * @module
 */

import { signalReasons, type AdmissionPolicy, type SignalReason } from './admit.js';
import type { Clock, RandomSource } from './clock.js';
import { mathRandom, monotonicClock } from './clock.js';
import { OptionRangeError, OptionTypeError } from './errors.js';
import type { ReceiverQueue } from './receiver-queue.js';
import { errorStatus, fn, integer, maxTimerMs, number, object, requiredFn } from './validate.js';

/** What `process` receives besides the event. */
export interface ProcessContext {
  /** 1 on the first try, 2 on the first retry, and so on. */
  readonly attempt: number;
  /** Milliseconds the event waited in the queue before its first attempt. */
  readonly dwellMs: number;
  /** Aborted when `close()` gives up waiting for this event; stop work and return soon. */
  readonly signal: AbortSignal;
}

/** An event that failed every attempt. */
export interface DeadLetter<T> {
  readonly event: T;
  /** The error of the last attempt. */
  readonly error: unknown;
  readonly attempts: number;
}

/**
 * An extra input to the gate besides the queue, such as event-loop delay. It closes the gate at
 * `high` and reopens it at `low`, with the same hysteresis as the queue.
 */
export interface PressureSignal {
  /** The rejection reason reported while this signal holds the gate closed. */
  readonly reason: SignalReason;
  readonly high: number;
  readonly low: number;
  /** The current value. Called on every admission decision: it must be cheap (a cached read). */
  read(): number;
  /** Starts sampling; called once, at the first evaluation of the gate (decision or snapshot). */
  start?(): void;
  /** Stops sampling and frees timers; called by `close()`. */
  stop?(): void;
}

/** Receives the rare warning about a misconfiguration. Nothing is logged per request. */
export interface Logger {
  warn(message: string): void;
}

/** Options of `createBackpressure()`. */
export interface BackpressureOptions<T> {
  /**
   * The slow work: called once per event, at most `concurrency` at a time. A rejected promise or a
   * throw is retried with backoff, then reported to `onDeadLetter`. It is called as soon as a
   * worker is free, which may be inside the `enqueue()` that queued the event: keep its
   * synchronous part short, and await the slow part.
   * @example async (event) => { await db.insert(event); }
   */
  process: (event: T, context: ProcessContext) => unknown;
  /**
   * The memory budget: the most events queued or reserved at once.
   * @default 1000
   */
  capacity?: number;
  /**
   * Depth at which admission stops: a count, or a fraction of `capacity` between 0 and 1.
   * @default 0.8
   */
  highWatermark?: number;
  /**
   * Depth at which admission resumes: a count, or a fraction of `capacity`; below `highWatermark`.
   * @default 0.5
   */
  lowWatermark?: number;
  /**
   * Also stop admitting when p95 dwell reaches `highMs`, until it falls to `lowMs`.
   * @default undefined (off)
   * @example { highMs: 5_000, lowMs: 1_000 }
   */
  dwell?: { highMs: number; lowMs: number } | undefined;
  /**
   * How many events are processed at the same time.
   * @default 4
   */
  concurrency?: number;
  /** Retries of a failed `process` call, with exponential backoff. */
  retry?: {
    /** Attempts in all, the first included. 1 means no retry. @default 3 */
    maxAttempts?: number;
    /** Delay before the first retry, in milliseconds. @default 100 */
    initialDelayMs?: number;
    /** The longest delay between two attempts, in milliseconds. @default 10_000 */
    maxDelayMs?: number;
    /** Each delay is the previous one times this. @default 2 */
    factor?: number;
  };
  /**
   * Receives each event that failed every attempt, to store or alert on. Without it, a dead
   * letter is reported through `logger.warn`.
   */
  onDeadLetter?: (letter: DeadLetter<T>) => unknown;
  /** How `Retry-After` is computed for rejections. */
  retryAfter?: {
    /** Lower bound, in whole seconds. @default 1 */
    minSeconds?: number;
    /** Upper bound, in whole seconds. @default 60 */
    maxSeconds?: number;
    /** Lengthen each value by up to this fraction, at random, to spread retries. @default 0.2 */
    jitter?: number;
    /** A constant instead of the measured estimate. @default undefined */
    fixedSeconds?: number;
  };
  /**
   * Status of a rejection under load.
   * @default 429
   */
  rejectStatus?: number;
  /**
   * Status of a rejection once `close()` has begun.
   * @default 503
   */
  closingStatus?: number;
  /** Windows of the dwell percentiles and of the drain rate. */
  tracking?: {
    /** Samples kept per ring. @default 1024 */
    sampleSize?: number;
    /** Percentile window, in milliseconds. @default 10_000 */
    windowMs?: number;
    /** Samples needed before a percentile is reported. @default 20 */
    minSamples?: number;
    /** How long computed percentiles are reused, in milliseconds. @default 250 */
    refreshMs?: number;
    /** Drain-rate smoothing window, in milliseconds. @default 10_000 */
    rateWindowMs?: number;
  };
  /** Extra gate inputs, such as the process signals of `backpressure/process`. @default [] */
  signals?: readonly PressureSignal[];
  /**
   * The queue behind the receiver. Replace it with a shared backend to spread one budget over
   * several processes. @default a `BoundedQueue` of `capacity` slots
   */
  queue?: ReceiverQueue<T>;
  /** @default console */
  logger?: Logger;
  /** Injected time, in milliseconds. @default performance.now */
  clock?: Clock;
  /** Injected chance, for `Retry-After` jitter. @default Math.random */
  random?: RandomSource;
}

/** Every option resolved and checked: what the receiver runs on. */
export interface ResolvedOptions<T> {
  readonly process: (event: T, context: ProcessContext) => unknown;
  readonly capacity: number;
  readonly highWatermark: unknown;
  readonly lowWatermark: unknown;
  readonly dwell: { highMs: number; lowMs: number } | undefined;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly backoffFactor: number;
  readonly onDeadLetter: ((letter: DeadLetter<T>) => unknown) | undefined;
  readonly policy: AdmissionPolicy;
  readonly tracking: Record<string, unknown>;
  readonly signals: readonly PressureSignal[];
  readonly queue: ReceiverQueue<T> | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** Checks every option once, at construction, and fills in the defaults. */
export function resolveOptions<T>(options: BackpressureOptions<T>): ResolvedOptions<T> {
  const raw = object('options', options);
  const process = requiredFn('process', raw.process) as ResolvedOptions<T>['process'];

  const retry = object('retry', raw.retry);
  const retryAfter = object('retryAfter', raw.retryAfter);
  const initialDelayMs = number('retry.initialDelayMs', retry.initialDelayMs, 100, 0, maxTimerMs);

  const queue = raw.queue as ReceiverQueue<T> | undefined;
  if (
    queue !== undefined &&
    (typeof queue !== 'object' ||
      (queue as unknown) === null ||
      typeof queue.tryReserve !== 'function')
  ) {
    throw new OptionTypeError('queue', 'a ReceiverQueue', queue);
  }

  return {
    process,
    capacity: queue?.capacity ?? integer('capacity', raw.capacity, 1000, 1, 2 ** 30),
    highWatermark: raw.highWatermark,
    lowWatermark: raw.lowWatermark,
    dwell: raw.dwell as ResolvedOptions<T>['dwell'],
    concurrency: integer('concurrency', raw.concurrency, 4, 1, 10_000),
    maxAttempts: integer('retry.maxAttempts', retry.maxAttempts, 3, 1, 1_000),
    initialDelayMs,
    maxDelayMs: number('retry.maxDelayMs', retry.maxDelayMs, 10_000, initialDelayMs, maxTimerMs),
    backoffFactor: number('retry.factor', retry.factor, 2, 1),
    onDeadLetter: fn('onDeadLetter', raw.onDeadLetter),
    policy: resolvePolicy(raw, retryAfter),
    tracking: object('tracking', raw.tracking),
    signals: resolveSignals(raw.signals),
    queue,
    logger: resolveLogger(raw.logger),
    clock: fn('clock', raw.clock, monotonicClock),
    random: fn('random', raw.random, mathRandom),
  };
}

function resolvePolicy(
  raw: Record<string, unknown>,
  retryAfter: Record<string, unknown>,
): AdmissionPolicy {
  const fixed =
    retryAfter.fixedSeconds === undefined
      ? undefined
      : integer('retryAfter.fixedSeconds', retryAfter.fixedSeconds, undefined, 1, 86_400);
  const minSeconds = integer('retryAfter.minSeconds', retryAfter.minSeconds, 1, 1, 86_400);
  const maxSeconds = integer('retryAfter.maxSeconds', retryAfter.maxSeconds, 60, 1, 86_400);

  if (maxSeconds < minSeconds) {
    throw new OptionRangeError(
      'retryAfter.maxSeconds',
      `at least retryAfter.minSeconds (${minSeconds})`,
      maxSeconds,
    );
  }

  return {
    rejectStatus: errorStatus('rejectStatus', raw.rejectStatus, 429),
    closingStatus: errorStatus('closingStatus', raw.closingStatus, 503),
    // A constant asked for is the only value, so it also serves as both bounds.
    minRetryAfterSeconds: fixed ?? minSeconds,
    maxRetryAfterSeconds: fixed ?? maxSeconds,
    retryAfterJitter: number('retryAfter.jitter', retryAfter.jitter, 0.2, 0, 1),
    fixedRetryAfterSeconds: fixed,
  };
}

function resolveSignals(value: unknown): readonly PressureSignal[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new OptionTypeError('signals', 'an array', value);

  return value.map((signal: unknown, index) => {
    const option = `signals[${index}]`;
    const parsed = object(option, signal);
    requiredFn(`${option}.read`, parsed.read);
    const high = number(`${option}.high`, parsed.high, undefined);
    const low = number(`${option}.low`, parsed.low, undefined);
    if (low >= high) throw new OptionRangeError(`${option}.low`, `below its high (${high})`, low);
    fn(`${option}.start`, parsed.start);
    fn(`${option}.stop`, parsed.stop);
    if (
      typeof parsed.reason !== 'string' ||
      !(signalReasons as readonly unknown[]).includes(parsed.reason)
    ) {
      throw new OptionRangeError(
        `${option}.reason`,
        `one of ${signalReasons.join(', ')}`,
        parsed.reason,
      );
    }

    return signal as PressureSignal;
  });
}

/** Checks a `logger` option; `console` when it is absent. */
export function resolveLogger(value: unknown): Logger {
  if (value === undefined) return console;
  if (typeof value !== 'object' || value === null || !('warn' in value)) {
    throw new OptionTypeError('logger', 'an object with a warn() method', value);
  }

  requiredFn('logger.warn', value.warn);
  return value as Logger;
}
