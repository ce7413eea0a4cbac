/**
 * The receiver: a bounded queue, a hysteresis gate, dwell tracking and workers, composed behind
 * one object that HTTP adapters ask for admission.
 *
 * @module
 */

import {
  admit,
  admitted,
  type AdmissionDecision,
  type AdmissionInput,
  type GateReason,
  type Rejection,
  type RejectionReason,
} from './admit.js';
import { BoundedQueue } from './bounded-queue.js';
import { DwellTracker } from './dwell-tracker.js';
import { ClosedError } from './errors.js';
import { HysteresisGate, hysteresis } from './hysteresis-gate.js';
import { Listeners, type Disposer } from './listeners.js';
import {
  resolveOptions,
  type BackpressureOptions,
  type DeadLetter,
  type Logger,
  type ResolvedOptions,
} from './options.js';
import type { ReceiverQueue } from './receiver-queue.js';
import type {
  Admission,
  BackpressureCounters,
  BackpressureSnapshot,
  CloseOptions,
  CloseResult,
  PauseEvent,
  ResumeEvent,
} from './receiver-types.js';
import { ReservedSlot, type SlotOwner } from './slot.js';
import { object, timeoutOption } from './validate.js';
import { WorkerPool } from './workers.js';

export type {
  Admission,
  BackpressureCounters,
  BackpressureSnapshot,
  CloseOptions,
  CloseResult,
  PauseEvent,
  ResumeEvent,
  Slot,
} from './receiver-types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Creates a receiver: admission for each request, a bounded queue for admitted events, and
 * workers that run `process` on them.
 *
 * @example
 * const receiver = createBackpressure({
 *   capacity: 1000,
 *   process: async (event: Order) => { await saveOrder(event); },
 * });
 * const admission = receiver.tryAdmit();
 * if (admission.admitted) await admission.enqueue(order);
 * else console.log(admission.status, admission.retryAfterSeconds);
 */
export function createBackpressure<T>(options: BackpressureOptions<T>): Backpressure<T> {
  return new Backpressure(options);
}

/** The receiver. Create it with {@link createBackpressure}. */
export class Backpressure<T> {
  readonly #options: ResolvedOptions<T>;
  readonly #queue: ReceiverQueue<T>;
  readonly #gate: HysteresisGate;
  readonly #tracker: DwellTracker;
  readonly #workers: WorkerPool<T>;
  readonly #input: Mutable<AdmissionInput>;
  readonly #signalOpen: boolean[];
  readonly #counters: Mutable<BackpressureCounters>;
  readonly #rejectedByReason: Partial<Record<RejectionReason, number>> = {};
  readonly #slotOwner: SlotOwner<T>;
  readonly #waiters = new Set<() => void>();
  readonly #pause: Listeners<PauseEvent>;
  readonly #resume: Listeners<ResumeEvent>;
  readonly #reject: Listeners<Rejection>;
  readonly #deadLetter: Listeners<DeadLetter<T>>;
  #pausedBy: GateReason | undefined;
  #signalsStarted = false;
  #closing = false;
  #closed = false;
  #closePromise: Promise<CloseResult<T>> | undefined;

  constructor(options: BackpressureOptions<T>) {
    const resolved = resolveOptions(options);
    this.#options = resolved;
    this.#queue =
      resolved.queue ?? new BoundedQueue<T>({ capacity: resolved.capacity, clock: resolved.clock });
    this.#gate = new HysteresisGate({
      capacity: resolved.capacity,
      highWatermark: resolved.highWatermark as number | undefined,
      lowWatermark: resolved.lowWatermark as number | undefined,
      dwell: resolved.dwell,
    });
    this.#tracker = new DwellTracker({ ...resolved.tracking, clock: resolved.clock }, 'tracking.');
    this.#signalOpen = resolved.signals.map(() => true);
    this.#counters = {
      admitted: 0,
      rejected: 0,
      rejectedByReason: this.#rejectedByReason,
      enqueued: 0,
      released: 0,
      processed: 0,
      failedAttempts: 0,
      retried: 0,
      deadLettered: 0,
      returned: 0,
    };
    const tracker = this.#tracker;
    const random = resolved.random;
    // While there is a backlog every worker is busy, so the pool drains about `concurrency` events
    // per processing time. The measured rate lags a spike (it is smoothed, and it decayed while
    // the receiver idled), and a Retry-After from it alone would send clients away far too long.
    const concurrency = resolved.concurrency;
    const drainEstimate = (): number => {
      const measured = tracker.drainRatePerSecond;
      const p50 = tracker.processing.p50Ms;
      return p50 === undefined || p50 <= 0
        ? measured
        : Math.max(measured, (concurrency * 1000) / p50);
    };
    // With the dwell gate on, a rejection's Retry-After reads the figure the gate closed on.
    const dwellFigure = (): number | undefined =>
      this.#gate.dwellHighMs === Infinity ? tracker.dwell.p95Ms : this.#currentDwellMs();
    // The last three fields matter only to a rejection: as getters they cost nothing (no clock
    // read, no random draw) on the admit path, and admit() stays a function of what it reads.
    this.#input = {
      depth: 0,
      capacity: resolved.capacity,
      lowWatermark: this.#gate.lowWatermark,
      closedBy: undefined,
      closing: false,
      get drainRatePerSecond() {
        return drainEstimate();
      },
      get p95DwellMs() {
        return dwellFigure();
      },
      get jitter() {
        return random();
      },
    };

    const warn = (error: unknown): void => {
      resolved.logger.warn(`backpressure: a listener threw: ${String(error)}`);
    };
    this.#pause = new Listeners(warn);
    this.#resume = new Listeners(warn);
    this.#reject = new Listeners(warn);
    this.#deadLetter = new Listeners(warn);
    this.#slotOwner = {
      commit: (event, slot) => this.#commit(event, slot),
      release: () => {
        this.#releaseSlot();
      },
    };
    this.#workers = new WorkerPool({
      queue: this.#queue,
      process: resolved.process,
      concurrency: resolved.concurrency,
      maxAttempts: resolved.maxAttempts,
      initialDelayMs: resolved.initialDelayMs,
      maxDelayMs: resolved.maxDelayMs,
      backoffFactor: resolved.backoffFactor,
      tracker: this.#tracker,
      clock: resolved.clock,
      events: {
        processed: () => this.#counters.processed++,
        retried: () => this.#counters.retried++,
        failedAttempt: () => this.#counters.failedAttempts++,
        deadLettered: (event, error, attempts) => {
          this.#reportDeadLetter({ event, error, attempts });
        },
        settled: () => {
          this.#changed();
        },
      },
    });
  }

  /** The most events queued or reserved at once. */
  get capacity(): number {
    return this.#options.capacity;
  }

  /** The resolved depth at which admission stops. */
  get highWatermark(): number {
    return this.#gate.highWatermark;
  }

  /** The resolved depth at which admission resumes. */
  get lowWatermark(): number {
    return this.#gate.lowWatermark;
  }

  /** True while a request arriving now would be admitted. */
  get isAccepting(): boolean {
    this.#evaluate();
    return !this.#closing && this.#pausedBy === undefined && this.#depth() < this.capacity;
  }

  /** True once `close()` has been called. */
  get isClosing(): boolean {
    return this.#closing;
  }

  /** True once `close()` has finished: no slot can be filled any more. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Decides on one request, from its headers alone, before any of its body is read. Admitted: a
   * slot is reserved and returned. Rejected: the rejection carries the status and
   * `Retry-After` to send.
   */
  tryAdmit(): Admission<T> {
    this.#evaluate();
    const input = this.#input;
    input.depth = this.#depth();
    input.closedBy = this.#pausedBy;
    input.closing = this.#closing;

    let decision: AdmissionDecision = admit(input, this.#options.policy);
    if (decision.admitted && !this.#queue.tryReserve()) {
      // The gate saw room the backend no longer has (a queue shared with other processes):
      // decide again on a full queue, which rejects with `queue_full`.
      input.depth = input.capacity;
      decision = admit(input, this.#options.policy);
    }

    if (!decision.admitted) {
      this.#counters.rejected++;
      this.#rejectedByReason[decision.reason] = (this.#rejectedByReason[decision.reason] ?? 0) + 1;
      this.#reject.emit(decision);
      return decision;
    }

    this.#counters.admitted++;
    // The reservation may have taken depth to the high watermark: announce the pause now rather
    // than at the next request. Checked first, so the common case pays one comparison.
    if (input.depth + 1 >= this.#gate.highWatermark) this.#evaluate();
    return new ReservedSlot(this.#slotOwner);
  }

  /**
   * Admits and enqueues an event in one step, for callers that have the event in hand (a
   * consumer of another queue, say). Resolves with the decision; rejected events are not kept.
   */
  async push(event: T): Promise<AdmissionDecision> {
    const admission = this.tryAdmit();
    if (!admission.admitted) return admission;

    await admission.enqueue(event);
    return admitted;
  }

  /** Resolves once nothing is queued, reserved or being processed. */
  onIdle(): Promise<void> {
    return this.#waitUntilDrained(Infinity).then(() => undefined);
  }

  /** Called when admission stops, with the reason. Returns a disposer. */
  onPause(listener: (event: PauseEvent) => void): Disposer {
    return this.#pause.add(listener);
  }

  /** Called when admission resumes. Returns a disposer. */
  onResume(listener: (event: ResumeEvent) => void): Disposer {
    return this.#resume.add(listener);
  }

  /** Called on every rejection, after the decision. Keep it cheap. Returns a disposer. */
  onReject(listener: (rejection: Rejection) => void): Disposer {
    return this.#reject.add(listener);
  }

  /** Called for each event that failed every attempt. Returns a disposer. */
  onDeadLetter(listener: (letter: DeadLetter<T>) => void): Disposer {
    return this.#deadLetter.add(listener);
  }

  /** The receiver's state now. Allocates: meant for health routes and metric scrapes. */
  snapshot(): BackpressureSnapshot {
    this.#evaluate();
    const signals: Partial<Record<RejectionReason, number>> = {};
    for (const signal of this.#options.signals) signals[signal.reason] = signal.read();

    return {
      capacity: this.capacity,
      depth: this.#depth(),
      queued: this.#queue.size,
      reserved: this.#queue.reserved,
      inFlight: this.#workers.inFlight,
      concurrency: this.#options.concurrency,
      highWatermark: this.#gate.highWatermark,
      lowWatermark: this.#gate.lowWatermark,
      accepting: this.isAccepting,
      pausedBy: this.#closing ? 'closing' : this.#pausedBy,
      closing: this.#closing,
      closed: this.#closed,
      drainRatePerSecond: this.#tracker.drainRatePerSecond,
      dwell: this.#tracker.dwell,
      processing: this.#tracker.processing,
      signals,
      counters: { ...this.#counters, rejectedByReason: { ...this.#rejectedByReason } },
    };
  }

  /**
   * Stops admitting (every request now gets the closing status), waits up to `timeoutMs` for
   * uploads in progress to enqueue, for the queue to drain and for running jobs to finish, then
   * hands back whatever is left. Calling it again returns the same promise.
   */
  close(options: CloseOptions = {}): Promise<CloseResult<T>> {
    if (this.#closePromise !== undefined) return this.#closePromise;

    // `Infinity` is the documented "wait as long as it takes".
    const deadlineMs = timeoutOption('timeoutMs', object('options', options).timeoutMs, 10_000);
    const wasAccepting = this.#pausedBy === undefined;
    this.#closing = true;
    if (wasAccepting) this.#pause.emit({ reason: 'closing', depth: this.#depth() });
    this.#closePromise = this.#shutdown(deadlineMs);
    return this.#closePromise;
  }

  async #shutdown(timeoutMs: number): Promise<CloseResult<T>> {
    const drained = await this.#waitUntilDrained(timeoutMs);
    this.#closed = true;
    // Abandon first: it also stops the pool, so nothing is dequeued while the rest is drained.
    const { interrupted, dequeuing } = this.#workers.abandon();
    const taken = await Promise.all(dequeuing);
    const unprocessed = [
      ...taken.flatMap((item) => (item === undefined ? [] : [item.value])),
      ...(await this.#queue.drain()),
    ];
    this.#counters.returned += interrupted.length + unprocessed.length;
    for (const signal of this.#options.signals) signal.stop?.();

    return { unprocessed, interrupted, drained };
  }

  #depth(): number {
    return this.#queue.size + this.#queue.reserved;
  }

  /** Advances the gate and the signals, and reports a change of state to listeners. */
  #evaluate(): void {
    // Once closing, a signal must not start: `close()` may already have stopped the signals.
    if (!this.#signalsStarted && !this.#closing) this.#startSignals();

    const depth = this.#depth();
    this.#gate.update(depth, this.#gate.dwellHighMs === Infinity ? 0 : this.#currentDwellMs());
    const closedBy = this.#gate.closedBy;
    let pausedBy: GateReason | undefined =
      closedBy === 'depth' ? 'saturated' : closedBy === 'dwell' ? 'slow_consumer' : undefined;

    const signals = this.#options.signals;
    for (let i = 0; i < signals.length; i++) {
      const signal = signals[i];
      if (signal === undefined) continue;

      const open = hysteresis(this.#signalOpen[i] ?? true, signal.read(), signal.high, signal.low);
      this.#signalOpen[i] = open;
      if (!open) pausedBy ??= signal.reason;
    }

    const wasPaused = this.#pausedBy !== undefined;
    this.#pausedBy = pausedBy;
    if (this.#closing) return;

    if (!wasPaused && pausedBy !== undefined) this.#pause.emit({ reason: pausedBy, depth });
    else if (wasPaused && pausedBy === undefined) this.#resume.emit({ depth });
  }

  /**
   * The dwell figure the gate reads: the recent p95, or the age of the oldest waiting event when
   * that is larger (a stalled consumer records no dwell at all). An empty queue has none.
   */
  #currentDwellMs(): number {
    if (this.#queue.size === 0) return 0;

    const p95 = this.#tracker.dwell.p95Ms ?? 0;
    const oldest = this.#queue.peekEnqueuedAt?.();
    return oldest === undefined ? p95 : Math.max(p95, this.#options.clock() - oldest);
  }

  #startSignals(): void {
    this.#signalsStarted = true;
    for (const signal of this.#options.signals) signal.start?.();
  }

  #commit(event: T, slot: ReservedSlot<T>): Promise<void> {
    if (this.#closed) {
      this.#releaseSlot();
      slot.failed();
      return Promise.reject(new ClosedError());
    }

    // A backend that fails to store the event leaves its slot reserved: give it back here, so
    // that a failing shared queue cannot leak capacity one request at a time.
    let pending: void | Promise<void>;
    try {
      pending = this.#queue.enqueueReserved(event);
    } catch (error) {
      this.#releaseSlot();
      slot.failed();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }

    if (pending === undefined) {
      this.#afterEnqueue();
      return Promise.resolve();
    }

    return pending.then(
      () => {
        this.#afterEnqueue();
      },
      (error: unknown) => {
        this.#releaseSlot();
        slot.failed();
        throw error;
      },
    );
  }

  #afterEnqueue(): void {
    this.#counters.enqueued++;
    this.#workers.pump();
    this.#changed();
  }

  #releaseSlot(): void {
    this.#queue.release();
    this.#counters.released++;
    this.#changed();
  }

  /** Re-evaluates the gate (so `resume` fires without waiting for a request) and the waiters. */
  #changed(): void {
    this.#evaluate();
    if (this.#waiters.size === 0) return;
    for (const waiter of this.#waiters) waiter();
  }

  #isDrained(): boolean {
    return this.#depth() === 0 && this.#workers.inFlight === 0;
  }

  /** Resolves true once drained, or false when `timeoutMs` passes first. */
  #waitUntilDrained(timeoutMs: number): Promise<boolean> {
    if (this.#isDrained()) return Promise.resolve(true);

    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const check = (): void => {
        if (!this.#isDrained()) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(true);
      };
      this.#waiters.add(check);

      if (timeoutMs !== Infinity) {
        // This timer is the one that keeps the process alive during shutdown: long enough to
        // drain, never longer than the deadline the caller set.
        timer = setTimeout(() => {
          this.#waiters.delete(check);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  #reportDeadLetter(letter: DeadLetter<T>): void {
    this.#counters.deadLettered++;
    const { onDeadLetter, logger } = this.#options;
    if (onDeadLetter === undefined && this.#deadLetter.size === 0) {
      warnSafely(
        logger,
        `backpressure: an event failed ${letter.attempts} attempts and no onDeadLetter handler ` +
          `is set (${this.#counters.deadLettered} so far): ${String(letter.error)}`,
      );
    }

    this.#deadLetter.emit(letter);
    if (onDeadLetter === undefined) return;

    // The hook may be async; its failure must not become an unhandled rejection.
    Promise.resolve()
      .then(() => onDeadLetter(letter))
      .catch((error: unknown) => {
        warnSafely(logger, `backpressure: onDeadLetter threw: ${String(error)}`);
      });
  }
}

/** Reports through the user's logger; a logger that throws must not take a worker down. */
function warnSafely(logger: Logger, message: string): void {
  try {
    logger.warn(message);
  } catch {
    // Nothing is left to report the failure to.
  }
}
