/**
 * Finding the slot a guard left on a request, in whatever place the framework keeps
 * per-request state.
 *
 * @module
 */

import { MissingSlotError } from '../core/errors.js';
import type { Slot } from '../core/receiver.js';

/** True for a slot handed out by `tryAdmit()`. */
export function isSlot(value: unknown): value is Slot<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<Slot<unknown>>).admitted === true &&
    typeof (value as Partial<Slot<unknown>>).enqueue === 'function'
  );
}

/**
 * Returns `value` as a typed slot, or throws a `MissingSlotError` naming `where` it was looked
 * for (`res.locals`, `ctx.state`, …).
 */
export function requireSlot<T>(value: unknown, where: string): Slot<T> {
  if (isSlot(value)) return value;
  throw new MissingSlotError(where);
}

/** The path of a request target, without its query string. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';

  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
