import { describe, expect, it } from 'vitest';

import { OptionRangeError, OptionTypeError } from '../../src/index.js';
import {
  boolean,
  errorStatus,
  fn,
  integer,
  number,
  object,
  requiredFn,
} from '../../src/core/validate.js';

describe('number', () => {
  it('returns the value, or the fallback when undefined', () => {
    expect(number('n', 3, 1)).toBe(3);
    expect(number('n', undefined, 1)).toBe(1);
    expect(number('n', -5, undefined)).toBe(-5);
  });

  it('throws a TypeError for a missing required value, NaN or another type', () => {
    expect(() => number('n', undefined, undefined)).toThrow(OptionTypeError);
    expect(() => number('n', Number.NaN, 1)).toThrow('Expected `n` to be a number, got number NaN');
    expect(() => number('n', '3', 1)).toThrow('Expected `n` to be a number, got string "3"');
  });

  it('throws a RangeError outside its bounds or for an infinite value', () => {
    expect(() => number('n', 11, 1, 0, 10)).toThrow(
      'Expected `n` to be a finite number from 0 to 10, got number 11',
    );
    expect(() => number('n', -1, 1, 0)).toThrow(
      'Expected `n` to be a finite number >= 0, got number -1',
    );
    expect(() => number('n', 11, 1, -Infinity, 10)).toThrow(
      'Expected `n` to be a finite number <= 10, got number 11',
    );
    expect(() => number('n', Infinity, 1)).toThrow(
      'Expected `n` to be a finite number, got number Infinity',
    );
    expect(() => number('n', -Infinity, 1)).toThrow(OptionRangeError);
  });
});

describe('integer', () => {
  it('accepts whole numbers and rejects fractions with a RangeError', () => {
    expect(integer('i', 4, 1, 1, 10)).toBe(4);
    expect(integer('i', undefined, 1, 1, 10)).toBe(1);
    expect(() => integer('i', 4.5, 1, 1, 10)).toThrow(
      'Expected `i` to be an integer from 1 to 10, got number 4.5',
    );
    expect(() => integer('i', 4.5, 1)).toThrow('Expected `i` to be an integer, got number 4.5');
  });
});

describe('fn and requiredFn', () => {
  it('accept functions and reject everything else with a TypeError', () => {
    const f = (): number => 1;

    expect(fn('f', f, () => 2)).toBe(f);
    expect(fn('f', undefined)).toBeUndefined();
    expect(() => fn('f', 1)).toThrow('Expected `f` to be a function, got number 1');
    expect(requiredFn('f', f)).toBe(f);
    expect(() => requiredFn('f', undefined)).toThrow(
      'Expected `f` to be a function, got undefined',
    );
  });
});

describe('boolean', () => {
  it('accepts booleans and rejects other types with a TypeError', () => {
    expect(boolean('b', false, true)).toBe(false);
    expect(boolean('b', undefined, true)).toBe(true);
    expect(() => boolean('b', 'yes', true)).toThrow(
      'Expected `b` to be a boolean, got string "yes"',
    );
  });
});

describe('object', () => {
  it('reads undefined as an empty object and rejects null, arrays and primitives', () => {
    const value = { a: 1 };

    expect(object('o', value)).toBe(value);
    expect(object('o', undefined)).toEqual({});
    expect(() => object('o', null)).toThrow('Expected `o` to be an object, got null');
    expect(() => object('o', [])).toThrow(OptionTypeError);
    expect(() => object('o', 'x')).toThrow(OptionTypeError);
  });
});

describe('errorStatus', () => {
  it('accepts 4xx and 5xx codes only', () => {
    expect(errorStatus('s', 503, 429)).toBe(503);
    expect(errorStatus('s', undefined, 429)).toBe(429);
    expect(() => errorStatus('s', 399, 429)).toThrow(
      'Expected `s` to be a finite number from 400 to 599, got number 399',
    );
    expect(() => errorStatus('s', 429.5, 429)).toThrow(OptionRangeError);
  });
});
