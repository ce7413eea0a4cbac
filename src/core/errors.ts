/**
 * Errors thrown by backpressure.
 *
 * Every error carries a stable `code` and a brand, so `isBackpressureError()` and
 * `instanceof BackpressureError` work across bundled copies of the library. Option errors are
 * also real `TypeError`s or `RangeError`s, which is what most callers test for.
 *
 * @module
 */

const brand = Symbol.for('backpressure.error');

/** The stable codes of every error this library throws. */
export type BackpressureErrorCode =
  | 'ERR_BACKPRESSURE_OPTION_TYPE'
  | 'ERR_BACKPRESSURE_OPTION_RANGE'
  | 'ERR_BACKPRESSURE_CLOSED'
  | 'ERR_BACKPRESSURE_SLOT_SETTLED'
  | 'ERR_BACKPRESSURE_QUEUE_FULL'
  | 'ERR_BACKPRESSURE_NO_SLOT'
  | 'ERR_BACKPRESSURE_BODY_INVALID'
  | 'ERR_BACKPRESSURE_BODY_TOO_LARGE'
  | 'ERR_BACKPRESSURE_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_BACKPRESSURE_BODY_ABORTED';

interface Branded {
  readonly [brand]: true;
  readonly code: BackpressureErrorCode;
}

function isBranded(value: unknown): value is Branded {
  return typeof value === 'object' && value !== null && brand in value;
}

/**
 * The base of every error thrown at run time. Option errors are `TypeError` or `RangeError`
 * subclasses instead, yet `instanceof BackpressureError` is true for them too.
 */
export class BackpressureError extends Error {
  declare readonly [brand]: true;

  /** A stable, documented identifier: match on it rather than on the message. */
  readonly code: BackpressureErrorCode;

  constructor(code: BackpressureErrorCode, message: string) {
    super(message);
    this.name = 'BackpressureError';
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
  }

  // Option errors extend the built-in TypeError and RangeError, so a brand check stands in for
  // the prototype chain they cannot share with this class.
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses inherit this method; for them the ordinary prototype check applies, or every
    // branded error would pass for a `ClosedError`.
    if (this !== BackpressureError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isBranded(value);
  }
}

/** True for any error thrown by this library, whatever copy of it threw. */
export function isBackpressureError(value: unknown): value is BackpressureError {
  return isBranded(value);
}

/** An option has the wrong type, such as a string where a number was expected. */
export class OptionTypeError extends TypeError {
  declare readonly [brand]: true;
  readonly code = 'ERR_BACKPRESSURE_OPTION_TYPE' as const;
  /** The option's path, such as `retryAfter.maxSeconds`. */
  readonly option: string;

  constructor(option: string, expected: string, received: unknown) {
    super(`Expected \`${option}\` to be ${expected}, got ${describe(received)}`);
    this.name = 'OptionTypeError';
    this.option = option;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** An option has the right type but a value out of range, or conflicts with another option. */
export class OptionRangeError extends RangeError {
  declare readonly [brand]: true;
  readonly code = 'ERR_BACKPRESSURE_OPTION_RANGE' as const;
  /** The option's path, such as `lowWatermark`. */
  readonly option: string;

  constructor(option: string, expected: string, received: unknown) {
    super(`Expected \`${option}\` to be ${expected}, got ${describe(received)}`);
    this.name = 'OptionRangeError';
    this.option = option;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** The receiver is closed: it no longer takes events. */
export class ClosedError extends BackpressureError {
  constructor(message = 'The receiver is closed and takes no more events') {
    super('ERR_BACKPRESSURE_CLOSED', message);
    this.name = 'ClosedError';
  }
}

/** A slot was used twice: it was already filled with an event or released. */
export class SlotSettledError extends BackpressureError {
  constructor(state: 'enqueued' | 'released') {
    super(
      'ERR_BACKPRESSURE_SLOT_SETTLED',
      `This slot was already ${state}; a slot holds one event`,
    );
    this.name = 'SlotSettledError';
  }
}

/** An event was pushed into a queue that had no free slot. */
export class QueueFullError extends BackpressureError {
  constructor(depth: number, capacity: number) {
    super('ERR_BACKPRESSURE_QUEUE_FULL', `The queue is full (${depth}/${capacity} slots)`);
    this.name = 'QueueFullError';
  }
}

/** A route asked for the slot of a request that has none: no guard ran before it. */
export class MissingSlotError extends BackpressureError {
  constructor(where: string) {
    super(
      'ERR_BACKPRESSURE_NO_SLOT',
      `No backpressure slot in ${where}: put guard(receiver) before this handler, ` +
        'and do not ask for a slot on an excluded path',
    );
    this.name = 'MissingSlotError';
  }
}

/** Renders a received value for an error message: its type and, when short, the value itself. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }

  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
