/**
 * The hysteresis gate: closes at a high watermark and reopens only at a low one, so that an
 * endpoint near its limit does not flap between accepting and rejecting on every request.
 *
 * @module
 */

import { OptionRangeError } from './errors.js';
import { integer, number, object } from './validate.js';

/**
 * One hysteresis step: closed at or above `high`, open at or below `low`, and unchanged strictly
 * between the two. Requires `low < high`.
 *
 * @example
 * hysteresis(true, 79, 80, 40); // true: still open below the high mark
 * hysteresis(false, 79, 80, 40); // false: stays closed until the value falls to 40
 */
export function hysteresis(wasOpen: boolean, value: number, high: number, low: number): boolean {
  if (value >= high) return false;
  if (value <= low) return true;
  return wasOpen;
}

/** Why a gate is closed, or `undefined` while it is open. */
export type GateClosedBy = 'depth' | 'dwell' | undefined;

/** The state of a {@link HysteresisGate}: whether each of its two inputs lets requests in. */
export interface GateState {
  readonly depthOpen: boolean;
  readonly dwellOpen: boolean;
}

/** The thresholds a gate compares against, as resolved counts and milliseconds. */
export interface GateThresholds {
  readonly highWatermark: number;
  readonly lowWatermark: number;
  /** `Infinity` when the dwell input is off. */
  readonly dwellHighMs: number;
  readonly dwellLowMs: number;
}

/** The inputs of one gate step. */
export interface GateInput {
  /** Queued items plus reserved slots. */
  readonly depth: number;
  /** The current dwell figure (p95 over the recent window), in milliseconds; 0 when unknown. */
  readonly dwellMs: number;
}

// The four possible states, shared so that a transition never allocates.
const bothOpen: GateState = Object.freeze({ depthOpen: true, dwellOpen: true });
const depthClosed: GateState = Object.freeze({ depthOpen: false, dwellOpen: true });
const dwellClosed: GateState = Object.freeze({ depthOpen: true, dwellOpen: false });
const bothClosed: GateState = Object.freeze({ depthOpen: false, dwellOpen: false });

function stateOf(depthOpen: boolean, dwellOpen: boolean): GateState {
  if (depthOpen) return dwellOpen ? bothOpen : dwellClosed;
  return dwellOpen ? depthClosed : bothClosed;
}

/** The state a gate starts in: open. */
export const openGate: GateState = bothOpen;

/**
 * The gate's transition function: pure, total, and allocation-free. Each input keeps its own
 * hysteresis, so the dwell input cannot reopen a gate that depth closed, nor the reverse.
 */
export function nextGateState(
  state: GateState,
  input: GateInput,
  thresholds: GateThresholds,
): GateState {
  const depthOpen = hysteresis(
    state.depthOpen,
    input.depth,
    thresholds.highWatermark,
    thresholds.lowWatermark,
  );
  const dwellOpen = hysteresis(
    state.dwellOpen,
    input.dwellMs,
    thresholds.dwellHighMs,
    thresholds.dwellLowMs,
  );
  return stateOf(depthOpen, dwellOpen);
}

/** Options of {@link HysteresisGate}. */
export interface HysteresisGateOptions {
  /** The queue's capacity; fractional watermarks are taken of it. */
  capacity: number;
  /**
   * Depth (queued + reserved) at which the gate closes: a count from 1 to `capacity`, or a
   * fraction of `capacity` strictly between 0 and 1 (rounded up).
   * @default 0.8
   */
  highWatermark?: number | undefined;
  /**
   * Depth at or below which a closed gate reopens: a count from 0, or a fraction strictly between
   * 0 and 1 (rounded down). Must stay below `highWatermark`.
   * @default 0.5
   */
  lowWatermark?: number | undefined;
  /**
   * Also close when p95 dwell reaches `highMs`, and reopen once it falls to `lowMs`. Dwell rises
   * before depth does when the consumer slows down, so this input acts earlier.
   * @default undefined (depth only)
   */
  dwell?: { highMs: number; lowMs: number } | undefined;
}

/**
 * A gate that stops admitting at a high watermark and resumes only at a low one.
 *
 * @example
 * const gate = new HysteresisGate({ capacity: 100, highWatermark: 80, lowWatermark: 40 });
 * gate.update(80, 0); // false: closed at the high watermark
 * gate.update(60, 0); // false: held closed between the watermarks
 * gate.update(40, 0); // true: reopened at the low watermark
 */
export class HysteresisGate implements GateThresholds {
  readonly capacity: number;
  readonly highWatermark: number;
  readonly lowWatermark: number;
  readonly dwellHighMs: number;
  readonly dwellLowMs: number;

  #state: GateState = openGate;

  constructor(options: HysteresisGateOptions) {
    const parsed = object('options', options);
    this.capacity = integer('capacity', parsed.capacity, undefined, 1, 2 ** 30);
    this.highWatermark = resolveWatermark(
      'highWatermark',
      parsed.highWatermark,
      0.8,
      this.capacity,
      Math.ceil,
    );
    this.lowWatermark = resolveWatermark(
      'lowWatermark',
      parsed.lowWatermark,
      0.5,
      this.capacity,
      Math.floor,
    );

    if (this.highWatermark < 1) {
      throw new OptionRangeError('highWatermark', 'at least 1 slot', parsed.highWatermark);
    }

    if (this.lowWatermark >= this.highWatermark) {
      throw new OptionRangeError(
        'lowWatermark',
        `below highWatermark (${this.highWatermark}; a whole number counts slots, so 1 is one ` +
          'slot: write a fraction such as 0.8, or capacity itself, for a share of capacity)',
        parsed.lowWatermark ?? this.lowWatermark,
      );
    }

    const dwell = parsed.dwell === undefined ? undefined : object('dwell', parsed.dwell);
    // Given a dwell object, its bound is required: `{}` must not quietly turn the input off.
    this.dwellHighMs = number(
      'dwell.highMs',
      dwell?.highMs,
      dwell === undefined ? Infinity : undefined,
      0,
    );
    this.dwellLowMs = number('dwell.lowMs', dwell?.lowMs, 0, 0);

    if (dwell !== undefined && this.dwellLowMs >= this.dwellHighMs) {
      throw new OptionRangeError(
        'dwell.lowMs',
        `below dwell.highMs (${this.dwellHighMs})`,
        dwell.lowMs,
      );
    }
  }

  /** True while the gate admits. */
  get isOpen(): boolean {
    return this.#state.depthOpen && this.#state.dwellOpen;
  }

  /** Which input holds the gate closed; depth wins when both do. */
  get closedBy(): GateClosedBy {
    if (!this.#state.depthOpen) return 'depth';
    return this.#state.dwellOpen ? undefined : 'dwell';
  }

  /** The current state, for inspection or for {@link nextGateState}. */
  get state(): GateState {
    return this.#state;
  }

  /** Feeds the current depth and dwell to the gate and returns whether it is open. */
  update(depth: number, dwellMs = 0): boolean {
    this.#state = nextGateState(this.#state, { depth, dwellMs }, this);
    return this.isOpen;
  }
}

/**
 * Turns a watermark option into a slot count. Counts must be whole numbers within capacity;
 * values strictly between 0 and 1 are fractions of capacity, rounded with `round`. High
 * watermarks round up and low ones down, which keeps the band between them at least as wide as
 * the fractions asked for.
 */
function resolveWatermark(
  option: string,
  value: unknown,
  fallback: number,
  capacity: number,
  round: (fraction: number) => number,
): number {
  const raw = number(option, value, fallback, 0, capacity);
  const isFraction = raw > 0 && raw < 1;
  if (!isFraction && !Number.isInteger(raw)) {
    throw new OptionRangeError(
      option,
      `a whole count from 0 to ${capacity} or a fraction between 0 and 1`,
      value,
    );
  }

  return isFraction ? round(raw * capacity) : raw;
}
