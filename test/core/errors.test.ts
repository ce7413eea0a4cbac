import { describe, expect, it } from 'vitest';

import {
  BackpressureError,
  ClosedError,
  OptionRangeError,
  OptionTypeError,
  QueueFullError,
  SlotSettledError,
  isBackpressureError,
} from '../../src/index.js';
import { MissingSlotError } from '../../src/core/errors.js';

describe('errors', () => {
  it('makes option errors real TypeErrors and RangeErrors that also pass as BackpressureError', () => {
    const typeError = new OptionTypeError('capacity', 'a number', 'ten');
    const rangeError = new OptionRangeError('capacity', 'an integer >= 1', 0);

    expect(typeError).toBeInstanceOf(TypeError);
    expect(typeError).toBeInstanceOf(BackpressureError);
    expect(isBackpressureError(typeError)).toBe(true);
    expect(typeError.code).toBe('ERR_BACKPRESSURE_OPTION_TYPE');
    expect(typeError.name).toBe('OptionTypeError');
    expect(typeError.option).toBe('capacity');
    expect(typeError.message).toBe('Expected `capacity` to be a number, got string "ten"');

    expect(rangeError).toBeInstanceOf(RangeError);
    expect(rangeError).toBeInstanceOf(BackpressureError);
    expect(isBackpressureError(rangeError)).toBe(true);
    expect(rangeError.code).toBe('ERR_BACKPRESSURE_OPTION_RANGE');
    expect(rangeError.name).toBe('OptionRangeError');
    expect(rangeError.message).toBe('Expected `capacity` to be an integer >= 1, got number 0');
  });

  it('gives every run-time error its code, its name and the base class', () => {
    const cases = [
      [new ClosedError(), 'ERR_BACKPRESSURE_CLOSED', 'ClosedError'],
      [new SlotSettledError('released'), 'ERR_BACKPRESSURE_SLOT_SETTLED', 'SlotSettledError'],
      [new QueueFullError(3, 3), 'ERR_BACKPRESSURE_QUEUE_FULL', 'QueueFullError'],
      [new MissingSlotError('req'), 'ERR_BACKPRESSURE_NO_SLOT', 'MissingSlotError'],
    ] as const;

    for (const [error, code, name] of cases) {
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(BackpressureError);
      expect(isBackpressureError(error)).toBe(true);
      expect(error.code).toBe(code);
      expect(error.name).toBe(name);
    }
  });

  it('puts the state and the numbers in the messages', () => {
    expect(new ClosedError().message).toBe('The receiver is closed and takes no more events');
    expect(new ClosedError('gone').message).toBe('gone');
    expect(new SlotSettledError('enqueued').message).toBe(
      'This slot was already enqueued; a slot holds one event',
    );
    expect(new QueueFullError(3, 4).message).toBe('The queue is full (3/4 slots)');
    expect(new MissingSlotError('ctx.state').message).toContain(
      'No backpressure slot in ctx.state',
    );
  });

  it('tells the subclasses apart with instanceof', () => {
    expect(new SlotSettledError('enqueued')).not.toBeInstanceOf(ClosedError);
    expect(new ClosedError()).not.toBeInstanceOf(QueueFullError);
    expect(new OptionTypeError('a', 'b', 1)).not.toBeInstanceOf(ClosedError);
    expect(new ClosedError()).toBeInstanceOf(ClosedError);
  });

  it('recognises errors by their brand, as thrown by another copy of the library', () => {
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('backpressure.error'), {
      value: true,
    });

    expect(isBackpressureError(foreign)).toBe(true);
    expect(foreign instanceof BackpressureError).toBe(true);
  });

  it('does not mistake other values for its errors', () => {
    for (const value of [new Error('x'), new TypeError('x'), null, undefined, 'error', 42, {}]) {
      expect(isBackpressureError(value)).toBe(false);
      expect(value instanceof BackpressureError).toBe(false);
    }
  });

  it('describes each kind of received value briefly', () => {
    const message = (received: unknown): string => new OptionTypeError('x', 'y', received).message;

    expect(message(null)).toBe('Expected `x` to be y, got null');
    expect(message(undefined)).toBe('Expected `x` to be y, got undefined');
    expect(message(true)).toBe('Expected `x` to be y, got boolean true');
    expect(message(10n)).toBe('Expected `x` to be y, got bigint 10');
    expect(message([1])).toBe('Expected `x` to be y, got an array');
    expect(message({ a: 1 })).toBe('Expected `x` to be y, got an object');
    expect(message(() => 1)).toBe('Expected `x` to be y, got function');
    expect(message('a'.repeat(100))).toBe(`Expected \`x\` to be y, got string "${'a'.repeat(40)}"`);
  });
});
