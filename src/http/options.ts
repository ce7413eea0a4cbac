/**
 * Options shared by every adapter: what the guard skips, how rejections look, and how the
 * receiver route reads bodies.
 *
 * @module
 */

import { fn, integer, object } from '../core/validate.js';
import { OptionTypeError } from '../core/errors.js';
import type { RejectResponseHook } from './responses.js';

/** A path prefix (`'/health'` matches `/health` and `/health/live`), a pattern, or a predicate. */
export type ExcludeRule = string | RegExp;

/** Options of every adapter's guard. */
export interface GuardOptions {
  /**
   * Requests that bypass the gate entirely, such as health checks, which must never be shed.
   * Path prefixes, regular expressions, or a predicate on the method and path.
   * @default []
   * @example ['/health', /^\/metrics$/]
   */
  exclude?: readonly ExcludeRule[] | ((method: string, path: string) => boolean);
  /**
   * Reshapes the rejection response (status, extra headers, body). `Retry-After` is always sent.
   * @default the RFC 9457 problem document
   */
  rejectResponse?: RejectResponseHook;
  /**
   * A rejected request's unread body up to this size is drained so the connection can be
   * reused; a larger or unsized body gets `Connection: close` instead.
   * @default 65_536
   */
  drainLimitBytes?: number;
}

/** Options of every adapter's receiver route, which also takes the guard's options. */
export interface ReceiveOptions<T> extends GuardOptions {
  /**
   * The largest body accepted, in bytes; a larger one gets 413 before it is buffered.
   * @default 1_048_576 (1 MiB)
   */
  limitBytes?: number;
  /**
   * Turns the parsed JSON into the event to queue, or throws to answer 400 (validation).
   * @default the parsed JSON as it is
   */
  toEvent?: (body: unknown) => T;
}

/** Guard options checked and completed. */
export interface ResolvedGuardOptions {
  readonly isExcluded: (method: string, path: string) => boolean;
  readonly rejectResponse: RejectResponseHook | undefined;
  readonly drainLimitBytes: number;
}

/** Receiver-route options checked and completed. */
export interface ResolvedReceiveOptions<T> extends ResolvedGuardOptions {
  readonly limitBytes: number;
  readonly toEvent: (body: unknown) => T;
}

/** Checks guard options once, when the adapter is created. */
export function resolveGuardOptions(options: GuardOptions = {}): ResolvedGuardOptions {
  const raw = object('options', options);
  return {
    isExcluded: compileExclude(raw.exclude),
    rejectResponse: fn('rejectResponse', raw.rejectResponse),
    drainLimitBytes: integer('drainLimitBytes', raw.drainLimitBytes, 65_536, 0),
  };
}

/** Checks receiver-route options once, when the route is created. */
export function resolveReceiveOptions<T>(
  options: ReceiveOptions<T> = {},
): ResolvedReceiveOptions<T> {
  const raw = object('options', options);
  return {
    ...resolveGuardOptions(options),
    limitBytes: integer('limitBytes', raw.limitBytes, 1_048_576, 1),
    toEvent: fn('toEvent', raw.toEvent, (body: unknown) => body as T),
  };
}

/**
 * True when an unread body may still be arriving and is too large (or of unknown size) to
 * drain: the response must then close the connection.
 */
export function mustCloseConnection(
  contentLength: string | null | undefined,
  transferEncoding: string | null | undefined,
  drainLimitBytes: number,
): boolean {
  if (transferEncoding != null) return true;
  if (contentLength == null) return false;

  const length = Number(contentLength);
  return !Number.isFinite(length) || length > drainLimitBytes;
}

function compileExclude(value: unknown): (method: string, path: string) => boolean {
  if (value === undefined) return () => false;
  if (typeof value === 'function') return value as (method: string, path: string) => boolean;
  if (!Array.isArray(value)) {
    throw new OptionTypeError('exclude', 'an array of strings and RegExps, or a function', value);
  }

  const rules = value.map((rule: unknown, index): ((path: string) => boolean) => {
    if (typeof rule === 'string') {
      return (path) => path === rule || path.startsWith(rule.endsWith('/') ? rule : `${rule}/`);
    }

    if (rule instanceof RegExp) return (path) => rule.test(path);
    throw new OptionTypeError(`exclude[${index}]`, 'a string or a RegExp', rule);
  });
  return (_method, path) => rules.some((matches) => matches(path));
}
