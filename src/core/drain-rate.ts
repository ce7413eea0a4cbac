/**
 * The drain rate: events leaving the queue per second, smoothed.
 *
 * @module
 */

import { monotonicClock, type Clock } from './clock.js';
import { fn, number, object } from './validate.js';

/** Options of {@link DrainRateMeter}. */
export interface DrainRateMeterOptions {
  /**
   * The smoothing window: a burst moves the rate by about 63% of its size after this long.
   * @default 10_000
   */
  windowMs?: number;
  /**
   * Completions are counted in ticks of this length, then folded into the average.
   * @default 1_000
   */
  tickMs?: number;
  /** @default monotonicClock */
  clock?: Clock;
}

/**
 * An exponentially weighted moving average of completions per second, in O(1) memory.
 *
 * The average is advanced lazily: ticks that passed without a reading are folded in all at once
 * on the next call, so an idle meter costs nothing and needs no timer.
 *
 * @example
 * const meter = new DrainRateMeter({ clock: () => now });
 * meter.record();
 * meter.ratePerSecond; // completions per second, smoothed over the last ten seconds
 */
export class DrainRateMeter {
  readonly #clock: Clock;
  readonly #tickMs: number;
  /** The share of each new tick in the average: 1 - e^(-tick/window). */
  readonly #alpha: number;
  /** Set by the first completion: idle time before it says nothing about the drain rate. */
  #tickStart: number | undefined;
  #countInTick = 0;
  #rate = 0;
  #hasRate = false;

  constructor(options: DrainRateMeterOptions = {}) {
    const parsed = object('options', options);
    this.#clock = fn('clock', parsed.clock, monotonicClock);
    this.#tickMs = number('tickMs', parsed.tickMs, 1_000, 1);
    const windowMs = number('windowMs', parsed.windowMs, 10_000, this.#tickMs);
    this.#alpha = 1 - Math.exp(-this.#tickMs / windowMs);
  }

  /** Counts `count` completions at `now` (by default, the clock's reading). */
  record(count = 1, now = this.#clock()): void {
    this.#tickStart ??= now;
    this.#advance(now);
    this.#countInTick += count;
  }

  /**
   * Completions per second, smoothed. Before the first tick ends it is the rate seen so far in
   * that tick, so a fresh receiver does not report zero for a whole second; before the first
   * completion it is 0.
   */
  get ratePerSecond(): number {
    if (this.#tickStart === undefined) return 0;

    const now = this.#clock();
    this.#advance(now);
    if (this.#hasRate) return this.#rate;

    const elapsedMs = now - this.#tickStart;
    return elapsedMs > 0 ? (this.#countInTick * 1_000) / elapsedMs : 0;
  }

  #advance(now: number): void {
    if (this.#tickStart === undefined) return;

    const ticks = Math.floor((now - this.#tickStart) / this.#tickMs);
    if (ticks <= 0) return;

    const tickRate = (this.#countInTick * 1_000) / this.#tickMs;
    this.#rate = this.#hasRate ? this.#rate + this.#alpha * (tickRate - this.#rate) : tickRate;
    this.#hasRate = true;
    // Every further whole tick passed with no completion: each one decays the average once.
    if (ticks > 1) this.#rate *= (1 - this.#alpha) ** (ticks - 1);
    this.#countInTick = 0;
    this.#tickStart += ticks * this.#tickMs;
  }
}
