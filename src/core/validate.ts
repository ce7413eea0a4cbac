/**
 * Option checks shared by every constructor. Each returns the value it checked, so that parsing
 * an options object reads as one assignment per option.
 *
 * @module
 */

import { OptionRangeError, OptionTypeError } from './errors.js';

/**
 * A finite number within `[min, max]`, or `fallback` when `value` is undefined. A required option
 * passes `undefined` as its fallback.
 */
export function number(
  option: string,
  value: unknown,
  fallback: number | undefined,
  min = -Infinity,
  max = Infinity,
): number {
  if (value === undefined) {
    if (fallback === undefined) throw new OptionTypeError(option, 'a number', value);
    return fallback;
  }

  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new OptionTypeError(option, 'a number', value);
  }

  if (!Number.isFinite(value) || value < min || value > max) {
    throw new OptionRangeError(option, rangeText(min, max, 'a finite number'), value);
  }

  return value;
}

/** An integer within `[min, max]`, or `fallback` when `value` is undefined. */
export function integer(
  option: string,
  value: unknown,
  fallback: number | undefined,
  min = -Infinity,
  max = Infinity,
): number {
  const checked = number(option, value, fallback, min, max);
  if (!Number.isInteger(checked)) {
    throw new OptionRangeError(option, rangeText(min, max, 'an integer'), value);
  }

  return checked;
}

/** A function, or `fallback` when `value` is undefined. */
export function fn<T extends (...args: never[]) => unknown>(
  option: string,
  value: unknown,
  fallback: T,
): T;
export function fn<T extends (...args: never[]) => unknown>(
  option: string,
  value: unknown,
  fallback?: T,
): T | undefined;
export function fn<T extends (...args: never[]) => unknown>(
  option: string,
  value: unknown,
  fallback?: T,
): T | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw new OptionTypeError(option, 'a function', value);
  return value as T;
}

/** The longest delay timers honour: a larger one fires at once (2^31 - 1 ms, about 24.8 days). */
export const maxTimerMs = 2_147_483_647;

/**
 * A timer duration in milliseconds: finite up to {@link maxTimerMs}, or `Infinity` for "no
 * deadline", or `fallback` when `value` is undefined.
 */
export function timeoutOption(option: string, value: unknown, fallback: number): number {
  return value === Infinity ? Infinity : number(option, value, fallback, 0, maxTimerMs);
}

/** A function that must be given; the caller casts it to the signature it documents. */
export function requiredFn(option: string, value: unknown): (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new OptionTypeError(option, 'a function', value);
  return value as (...args: never[]) => unknown;
}

/** A boolean, or `fallback` when `value` is undefined. */
export function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new OptionTypeError(option, 'a boolean', value);
  return value;
}

/** A plain object (or undefined, read as an empty one). */
export function object(option: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OptionTypeError(option, 'an object', value);
  }

  return value as Record<string, unknown>;
}

/** An HTTP status code in the 4xx or 5xx range. */
export function errorStatus(option: string, value: unknown, fallback: number): number {
  return integer(option, value, fallback, 400, 599);
}

function rangeText(min: number, max: number, kind: string): string {
  if (min > -Infinity && max < Infinity) return `${kind} from ${min} to ${max}`;
  if (min > -Infinity) return `${kind} >= ${min}`;
  if (max < Infinity) return `${kind} <= ${max}`;
  return kind;
}
