/**
 * The Koa adapter (Koa 2 and 3): a guard middleware that admits a request from its head and
 * leaves the slot in `ctx.state.backpressure`, a ready receiver middleware, a status middleware,
 * and the `Expect: 100-continue` hook for the server `app.listen()` returns.
 *
 * Every response is written the Koa way (`ctx.status`, `ctx.set()`, `ctx.body`), so middleware
 * upstream still sees and may decorate it.
 *
 * @example
 * import Koa from 'koa';
 * import { createBackpressure } from 'backpressure';
 * import { handleExpectContinue, receive } from 'backpressure/koa';
 *
 * const receiver = createBackpressure({ process: async (event: Order) => { await save(event); } });
 * const app = new Koa();
 * app.use(receive(receiver, { limitBytes: 64 * 1024, exclude: ['/health'] }));
 * handleExpectContinue(app.listen(3000), receiver, { exclude: ['/health'] });
 *
 * @module
 */

import type { Middleware, ParameterizedContext } from 'koa';

import type { Backpressure, Slot } from '../core/receiver.js';
import { isSlot, pathOf, requireSlot } from '../http/slot.js';
import {
  resolveGuardOptions,
  resolveReceiveOptions,
  type GuardOptions,
  type ReceiveOptions,
  type ResolvedGuardOptions,
} from '../http/options.js';
import { statusResponse, type PlainResponse } from '../http/responses.js';
import { admitNode, nodeRejection, receiveNodeBody, upstreamJsonBody } from '../node/request.js';

export { handleExpectContinue } from '../node/request.js';
export type { GuardOptions, ReceiveOptions } from '../http/options.js';

/**
 * What the guard adds to `ctx.state`. `app.use(guard(receiver))` carries it into the state type of
 * the app; the slot is absent on excluded paths.
 *
 * @example
 * const app = new Koa<BackpressureState<Order>>();
 */
export interface BackpressureState<T> {
  /** The slot reserved for this request: fill it with `enqueue()` once the body is parsed. */
  backpressure?: Slot<T>;
}

type KoaContext<T> = ParameterizedContext<BackpressureState<T>>;

/**
 * Creates a guard middleware. Put it before any body parser: it decides from the request line
 * and headers, answers a rejection at once (429 or 503, with `Retry-After`), and on admission
 * leaves the slot in `ctx.state.backpressure` (read it with {@link slotOf}). The slot is released
 * when the response closes unless the route filled it. Excluded paths pass through untouched.
 *
 * @example
 * app.use(guard(receiver, { exclude: ['/health'] }));
 * app.use(async (ctx) => {
 *   await slotOf<Order>(ctx).enqueue(await readOrder(ctx));
 *   ctx.status = 202;
 * });
 */
export function guard<T>(
  receiver: Backpressure<T>,
  options?: GuardOptions,
): Middleware<BackpressureState<T>> {
  const resolved = resolveGuardOptions(options);
  return async function backpressureGuard(ctx, next) {
    if (isExcluded(ctx, resolved)) {
      await next();
      return;
    }

    const slot = admit(receiver, ctx, resolved);
    if (slot === undefined) return;

    ctx.state.backpressure = slot;
    await next();
  };
}

/**
 * The slot the guard reserved for this request, typed with the receiver's event type. Throws when
 * there is none: the guard did not run before this middleware, or the path is excluded.
 *
 * @example
 * await slotOf<Order>(ctx).enqueue(order);
 */
export function slotOf<T>(ctx: { readonly state: unknown }): Slot<T> {
  return requireSlot<T>(stateSlot(ctx), 'ctx.state');
}

/**
 * Creates a receiver middleware: admits the request, reads and parses its JSON body (up to
 * `limitBytes`), applies `toEvent`, queues the event and answers `202 Accepted`; 429 with
 * `Retry-After` when saturated, 400, 413 or 415 for a body it cannot take. A slot reserved by an
 * upstream guard is reused, and a JSON body an upstream parser already read is taken from
 * `ctx.request.body`. Excluded paths go on to the next middleware.
 *
 * @example
 * app.use(receive(receiver, { limitBytes: 64 * 1024, toEvent: parseOrder }));
 */
export function receive<T>(
  receiver: Backpressure<T>,
  options?: ReceiveOptions<T>,
): Middleware<BackpressureState<T>> {
  const resolved = resolveReceiveOptions(options);
  return async function backpressureReceive(ctx, next) {
    if (isExcluded(ctx, resolved)) {
      await next();
      return;
    }

    const reserved = stateSlot(ctx);
    const slot = isSlot(reserved) ? (reserved as Slot<T>) : admit(receiver, ctx, resolved);
    if (slot === undefined) return;

    // Anything but a refused body or a closed receiver is rethrown to Koa's error handling.
    const parsed = upstreamJsonBody(ctx.req, (ctx.request as { body?: unknown }).body);
    respond(ctx, await receiveNodeBody(receiver, slot, ctx.req, resolved, parsed));
  };
}

/**
 * Creates a middleware serving the receiver's snapshot as JSON. With `readiness: true` it answers
 * 503 once shutdown has begun, so that a load balancer stops sending traffic.
 *
 * @example
 * router.get('/backpressure', statusRoute(receiver, { readiness: true }));
 */
export function statusRoute<T>(
  receiver: Backpressure<T>,
  options: { readiness?: boolean } = {},
): Middleware {
  const readiness = options.readiness ?? false;
  return function backpressureStatus(ctx) {
    respond(ctx, statusResponse(receiver, readiness));
  };
}

// A mounted sub-app (koa-mount) rewrites `ctx.path`; exclusions match the path as received, like
// the `Expect: 100-continue` hook, which sees the request before any middleware does.
function isExcluded(ctx: ParameterizedContext, options: ResolvedGuardOptions): boolean {
  return options.isExcluded(ctx.method, pathOf(ctx.originalUrl));
}

function admit<T>(
  receiver: Backpressure<T>,
  ctx: KoaContext<T>,
  options: ResolvedGuardOptions,
): Slot<T> | undefined {
  const admission = admitNode(receiver, ctx.req, ctx.res);
  if (admission.admitted) return admission;

  respond(ctx, nodeRejection(ctx.req, admission, options));
  return undefined;
}

/** Writes a shared response through Koa, which sends it once the middleware chain unwinds. */
function respond(ctx: ParameterizedContext, response: PlainResponse): void {
  ctx.status = response.status;
  // Set before the body: Koa derives a content type from a string body only when none is set.
  ctx.set(response.headers);
  ctx.body = response.body;
}

function stateSlot(ctx: { readonly state: unknown }): unknown {
  return (ctx.state as Partial<Record<'backpressure', unknown>> | undefined)?.backpressure;
}
