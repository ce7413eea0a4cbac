/**
 * The Express adapter (Express 4 and 5): a guard middleware that admits a request from its head
 * and leaves the slot in `res.locals.backpressure`, a ready receiver route, a status route, and
 * the `Expect: 100-continue` hook for the server `app.listen()` returns.
 *
 * The handlers are typed against the few members they use, which Express 4 and Express 5
 * requests and responses both have, so either version's `app.use()` accepts them.
 *
 * @example
 * import express from 'express';
 * import { createBackpressure } from 'backpressure';
 * import { guard, handleExpectContinue, receive, slotOf } from 'backpressure/express';
 *
 * const receiver = createBackpressure({ process: async (event: Order) => { await save(event); } });
 * const app = express();
 * app.post('/orders', receive(receiver, { limitBytes: 64 * 1024 }));
 * app.post('/events', guard(receiver), express.json(), async (req, res) => {
 *   await slotOf<Order>(res).enqueue(req.body);
 *   res.sendStatus(202);
 * });
 * handleExpectContinue(app.listen(3000), receiver);
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Backpressure, Slot } from '../core/receiver.js';
import {
  resolveGuardOptions,
  resolveReceiveOptions,
  type GuardOptions,
  type ReceiveOptions,
  type ResolvedGuardOptions,
} from '../http/options.js';
import { statusResponse } from '../http/responses.js';
import { isSlot, pathOf, requireSlot } from '../http/slot.js';
import {
  admitNodeRequest,
  receiveNodeRequest,
  upstreamJsonBody,
  writePlain,
} from '../node/request.js';

export { handleExpectContinue } from '../node/request.js';
export type { GuardOptions, ReceiveOptions } from '../http/options.js';

/** What the handlers read from an Express request (Express 4 and 5 alike). */
export interface ExpressRequestLike extends IncomingMessage {
  /** The URL as received, before any router mount path was stripped from `url`. */
  originalUrl?: string;
  /** Whatever a body parser placed here. */
  body?: unknown;
}

/** What the handlers use of an Express response (Express 4 and 5 alike). */
export interface ExpressResponseLike extends ServerResponse {
  locals: Record<string, unknown>;
}

/**
 * An Express middleware or route handler, typed so that both Express 4 and Express 5 accept it.
 *
 * @example
 * const gate: ExpressHandler = guard(receiver, { exclude: ['/health'] });
 * app.use(gate);
 */
export type ExpressHandler = (
  req: ExpressRequestLike,
  res: ExpressResponseLike,
  next: (error?: unknown) => void,
) => void;

/** The `res.locals` key under which the guard leaves the admitted request's slot. */
const localsKey = 'backpressure';

/**
 * Creates a guard middleware. Put it before the body parser: it decides from the request line and
 * headers, answers a rejection at once (429 or 503, with `Retry-After`), and on admission leaves
 * the slot in `res.locals.backpressure` (read it with {@link slotOf}). The slot is released when
 * the response ends unless the route filled it. Excluded paths pass through untouched.
 *
 * @example
 * app.post('/events', guard(receiver, { exclude: ['/health'] }), express.json(), handler);
 */
export function guard<T>(receiver: Backpressure<T>, options?: GuardOptions): ExpressHandler {
  const resolved = resolveGuardOptions(options);
  return function backpressureGuard(req, res, next) {
    if (isExcluded(req, resolved)) {
      next();
      return;
    }

    const slot = admitNodeRequest(receiver, req, res, resolved);
    if (slot === undefined) return;

    res.locals[localsKey] = slot;
    next();
  };
}

/**
 * The slot the guard reserved for this request, typed with the receiver's event type. Throws when
 * there is none: the guard did not run before this handler, or the path is excluded.
 *
 * @example
 * app.post('/events', guard(receiver), express.json(), async (req, res) => {
 *   await slotOf<Order>(res).enqueue(req.body);
 *   res.sendStatus(202);
 * });
 */
export function slotOf<T>(res: { locals: Record<string, unknown> }): Slot<T> {
  return requireSlot<T>(res.locals[localsKey], 'res.locals');
}

/**
 * Creates a receiver route: admits the request, reads and parses its JSON body (up to
 * `limitBytes`), applies `toEvent`, queues the event and answers `202 Accepted`; 429 with
 * `Retry-After` when saturated, 400, 413 or 415 for a body it cannot take. A body already parsed
 * by an upstream `express.json()` is used as it is, and a slot already reserved by an upstream
 * guard is reused. Excluded paths go on to the next handler.
 *
 * @example
 * app.post('/webhooks', receive(receiver, { limitBytes: 64 * 1024, toEvent: parseOrder }));
 */
export function receive<T>(receiver: Backpressure<T>, options?: ReceiveOptions<T>): ExpressHandler {
  const resolved = resolveReceiveOptions(options);
  return function backpressureReceive(req, res, next) {
    if (isExcluded(req, resolved)) {
      next();
      return;
    }

    const reserved = res.locals[localsKey];
    const slot = isSlot(reserved)
      ? (reserved as Slot<T>)
      : admitNodeRequest(receiver, req, res, resolved);
    if (slot === undefined) return;

    // Body errors are answered inside; anything else belongs to Express's error handling.
    receiveNodeRequest(receiver, slot, req, res, resolved, upstreamJsonBody(req, req.body)).catch(
      next,
    );
  };
}

/**
 * Creates a route serving the receiver's snapshot as JSON. With `readiness: true` it answers 503
 * once shutdown has begun, so that a load balancer stops sending traffic.
 *
 * @example
 * app.get('/backpressure', statusRoute(receiver, { readiness: true }));
 */
export function statusRoute<T>(
  receiver: Backpressure<T>,
  options: { readiness?: boolean } = {},
): ExpressHandler {
  const readiness = options.readiness ?? false;
  return function backpressureStatus(_req, res) {
    writePlain(res, statusResponse(receiver, readiness));
  };
}

// Express strips a router's mount path from `req.url`; exclusions match the path as received,
// like the `Expect: 100-continue` hook, which sees the request before any router does.
function isExcluded(req: ExpressRequestLike, options: ResolvedGuardOptions): boolean {
  return options.isExcluded(req.method ?? 'GET', pathOf(req.originalUrl ?? req.url));
}
