/**
 * Admissions granted before a request reaches its guard: Node answers `Expect: 100-continue`
 * before any middleware runs, and the slot it reserves then must travel with the request, or the
 * guard would reserve a second one.
 *
 * Keyed by the runtime's request object (Node's `IncomingMessage`), so it stays runtime-agnostic.
 *
 * @module
 */

import type { Admission, Backpressure, Slot } from '../core/receiver.js';

const admittedEarly = new WeakMap<object, Slot<never>>();

/** Keeps a slot granted early until the request's guard takes it. */
export function holdEarlyAdmission<T>(request: object, slot: Slot<T>): void {
  admittedEarly.set(request, slot);
}

/**
 * The slot granted to this request early, if any, handed over once. The slot is already
 * released when the response closes.
 *
 * @example
 * const slot = takeEarlyAdmission<Order>(ctx.req) ?? receiver.tryAdmit();
 */
export function takeEarlyAdmission<T>(request: object | undefined): Slot<T> | undefined {
  if (request === undefined) return undefined;

  const early = admittedEarly.get(request);
  admittedEarly.delete(request);
  return early;
}

/** The early admission of `request` if it has one, otherwise the receiver's decision now. */
export function admitRequest<T>(
  receiver: Backpressure<T>,
  request: object | undefined,
): Admission<T> {
  return takeEarlyAdmission<T>(request) ?? receiver.tryAdmit();
}
