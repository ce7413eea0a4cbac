/**
 * The Hono adapter: a guard middleware that admits a request from its head and leaves the slot in
 * `c.var.backpressure`, a ready receiver route, and a status route.
 *
 * Built on Web `Request` and `Response` alone, so the same code runs wherever Hono does: Node
 * (through `@hono/node-server`), Bun, Deno and Cloudflare Workers. On Node, `Expect:
 * 100-continue` is answered by `handleExpectContinue` from `backpressure/node`, attached to the
 * server that `serve()` returns.
 *
 * @example
 * import { Hono } from 'hono';
 * import { createBackpressure } from 'backpressure';
 * import { guard, receive, statusRoute } from 'backpressure/hono';
 *
 * const receiver = createBackpressure({ process: async (event: Order) => { await save(event); } });
 * const app = new Hono();
 * app.post('/orders', receive(receiver, { limitBytes: 64 * 1024 }));
 * app.post('/events', guard(receiver), async (c) => {
 *   await c.var.backpressure.enqueue(await c.req.json());
 *   return c.body(null, 202);
 * });
 * app.get('/backpressure', statusRoute(receiver, { readiness: true }));
 * export default app;
 *
 * @module
 */

import type { Context, Handler, MiddlewareHandler } from 'hono';

import type { Backpressure, Slot } from '../core/receiver.js';
import { tooLarge } from '../http/body.js';
import {
  resolveGuardOptions,
  resolveReceiveOptions,
  type GuardOptions,
  type ReceiveOptions,
} from '../http/options.js';
import { admitRequest } from '../http/early-admission.js';
import { statusResponse } from '../http/responses.js';
import { receiveWebRequest, releaseOnAbort, toWebResponse, webRejection } from '../http/web.js';

export type { GuardOptions, ReceiveOptions } from '../http/options.js';

/**
 * The Hono environment the guard contributes: the admitted request's slot, typed with the
 * receiver's event type, as `c.var.backpressure` (or `c.get('backpressure')`). On an excluded
 * path the guard sets nothing.
 *
 * @example
 * const app = new Hono<BackpressureEnv<Order>>();
 * app.post('/events', guard(receiver), async (c) => {
 *   await c.var.backpressure.enqueue(await c.req.json());
 *   return c.body(null, 202);
 * });
 */
export interface BackpressureEnv<T> {
  Variables: { backpressure: Slot<T> };
}

/**
 * Creates a guard middleware. It decides from the request line and headers, before the body is
 * read: a rejection is answered at once (429 or 503, with `Retry-After`); an admitted request
 * finds its slot in `c.var.backpressure`. The slot is released when the rest of the chain is done
 * or the client goes away, unless the route filled it first. Excluded paths pass through.
 *
 * Enqueue before returning the response: a slot still unfilled when the chain returns is given
 * back, so a route that fills it later (from a streaming body, say) gets `SlotSettledError`.
 *
 * @example
 * app.post('/events', guard(receiver, { exclude: ['/health'] }), async (c) => {
 *   await c.var.backpressure.enqueue(await c.req.json());
 *   return c.body(null, 202);
 * });
 */
export function guard<T>(
  receiver: Backpressure<T>,
  options?: GuardOptions,
): MiddlewareHandler<BackpressureEnv<T>> {
  const resolved = resolveGuardOptions(options);
  return async function backpressureGuard(c, next) {
    if (resolved.isExcluded(c.req.method, c.req.path)) {
      await next();
      return;
    }

    const admission = admitRequest(receiver, nodeRequestOf(c));
    if (!admission.admitted) return webRejection(c.req.raw, admission, resolved);

    c.set('backpressure', admission);
    const stopWatching = releaseWhenClientGoes(c, admission);
    try {
      await next();
    } finally {
      stopWatching();
      // A no-op when the route enqueued; otherwise the reservation would leak.
      admission.release();
    }
  };
}

/**
 * Creates a receiver route: admits the request, reads and parses its JSON body (up to
 * `limitBytes`), applies `toEvent`, queues the event and answers `202 Accepted`; 429 with
 * `Retry-After` when saturated, 400, 413 or 415 for a body it cannot take. A slot already
 * reserved by an upstream guard is reused, and a body already read through `c.req` is taken from
 * Hono's cache. Excluded paths go on to the next handler.
 *
 * @example
 * app.post('/webhooks', receive(receiver, { limitBytes: 64 * 1024, toEvent: parseOrder }));
 */
export function receive<T>(
  receiver: Backpressure<T>,
  options?: ReceiveOptions<T>,
): MiddlewareHandler<BackpressureEnv<T>> {
  const resolved = resolveReceiveOptions(options);
  return async function backpressureReceive(c, next) {
    if (resolved.isExcluded(c.req.method, c.req.path)) {
      await next();
      return;
    }

    const request = c.req.raw;
    const reserved = c.get('backpressure') as Slot<T> | undefined;
    if (reserved?.state === 'reserved') {
      // The guard that reserved it also releases it and watches for the client going away.
      return receiveWebRequest(receiver, reserved, request, resolved, cachedBodyReader(c));
    }

    const admission = admitRequest(receiver, nodeRequestOf(c));
    if (!admission.admitted) return webRejection(request, admission, resolved);

    const stopWatching = releaseWhenClientGoes(c, admission);
    try {
      return await receiveWebRequest(receiver, admission, request, resolved, cachedBodyReader(c));
    } finally {
      stopWatching();
    }
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
): Handler {
  const readiness = options.readiness ?? false;
  return function backpressureStatus() {
    return toWebResponse(statusResponse(receiver, readiness));
  };
}

/**
 * Once a middleware has read the body through `c.req`, the stream is spent but Hono keeps the
 * bytes: read those instead, under the same limit.
 */
function cachedBodyReader(c: Context): ((limitBytes: number) => Promise<Uint8Array>) | undefined {
  if (!c.req.raw.bodyUsed) return undefined;

  return async (limitBytes) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > limitBytes) throw tooLarge(limitBytes);
    return bytes;
  };
}

/**
 * On Node, `@hono/node-server` passes the `IncomingMessage` as `c.env.incoming`: the key under
 * which an `Expect: 100-continue` admission waits. Other runtimes have none.
 */
function nodeRequestOf(c: Context): object | undefined {
  const env = c.env as { incoming?: unknown } | undefined;
  return typeof env?.incoming === 'object' && env.incoming !== null ? env.incoming : undefined;
}

/**
 * Releases `slot` if the client goes away first. On Node, `@hono/node-server` passes the
 * `ServerResponse` as `c.env.outgoing`, whose 'close' event is nearly free; reading
 * `request.signal` there would build a whole Web `Request` for every request.
 */
function releaseWhenClientGoes(c: Context, slot: Slot<unknown>): () => void {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  if (!isEmitter(outgoing)) return releaseOnAbort(c.req.raw, slot);

  const release = (): void => {
    slot.release();
  };
  outgoing.once('close', release);
  return () => {
    outgoing.off('close', release);
  };
}

// Property signatures, not methods: they are always called on their object, never detached.
interface Emitter {
  once: (event: string, listener: () => void) => unknown;
  off: (event: string, listener: () => void) => unknown;
}

function isEmitter(value: unknown): value is Emitter {
  const candidate = value as Partial<Emitter> | null | undefined;
  return typeof candidate?.once === 'function' && typeof candidate.off === 'function';
}
