/**
 * The machinery shared by the process signals: a reading refreshed on an unref'd timer and
 * cached, so that the receiver's call to `read()` on every request costs a field access.
 *
 * @module
 */

import type { SignalReason } from '../core/admit.js';
import type { PressureSignal } from '../core/options.js';

/**
 * A gate input fed by the Node process (event loop, memory). Sampling starts with the receiver's
 * first admission decision and stops when the receiver closes.
 */
export interface ProcessSignal extends PressureSignal {
  /** Starts sampling, taking a first reading at once. Calling it again does nothing. */
  start(): void;
  /** Stops sampling and frees the timer; `read()` keeps returning the last reading. */
  stop(): void;
  /** True between `start()` and `stop()`. */
  readonly isRunning: boolean;
}

/** Where the readings come from. */
export interface ReadingSource {
  /**
   * Prepares the source (enables a monitor, say); called by `start()`. A source that measures a
   * little after being asked keeps `report` and passes it each reading when ready.
   */
  begin?(report: (value: number) => void): void;
  /**
   * Takes one reading, or returns `undefined` when the reading will come through `report`. The
   * first call, made by `start()`, may have no window to cover yet.
   */
  take(): number | undefined;
  /** Releases what `begin()` set up; called by `stop()`. */
  end?(): void;
}

/** Everything a {@link SampledSignal} needs, checked by the factory that builds it. */
export interface SampledSignalConfig {
  readonly reason: SignalReason;
  readonly high: number;
  readonly low: number;
  /** Milliseconds between two readings. */
  readonly refreshMs: number;
  readonly source: ReadingSource;
}

/**
 * A {@link ProcessSignal} whose value is refreshed every `refreshMs` from a
 * {@link ReadingSource}.
 */
export class SampledSignal implements ProcessSignal {
  readonly reason: SignalReason;
  readonly high: number;
  readonly low: number;
  readonly #refreshMs: number;
  readonly #source: ReadingSource;
  #value = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(config: SampledSignalConfig) {
    this.reason = config.reason;
    this.high = config.high;
    this.low = config.low;
    this.#refreshMs = config.refreshMs;
    this.#source = config.source;
  }

  get isRunning(): boolean {
    return this.#timer !== undefined;
  }

  /** The last reading; 0 before the first. Never samples: it runs on every request. */
  read(): number {
    return this.#value;
  }

  start(): void {
    if (this.#timer !== undefined) return;

    this.#source.begin?.((value) => {
      this.#accept(value);
    });
    this.#refresh();
    this.#timer = setInterval(() => {
      this.#refresh();
    }, this.#refreshMs);
    // A gauge of the process must never be what keeps the process alive.
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer === undefined) return;

    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#source.end?.();
  }

  #refresh(): void {
    const value = this.#source.take();
    if (value !== undefined) this.#accept(value);
  }

  #accept(value: number): void {
    // A reading that is not a number would hold the gate in whatever state it is: keep the last.
    if (Number.isFinite(value)) this.#value = value;
  }
}
