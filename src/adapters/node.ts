/**
 * The plain `node:http` adapter: a guard to call at the top of a handler, a ready receiver
 * request listener, a status route, and the `Expect: 100-continue` hook.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createBackpressure } from 'backpressure';
 * import { handleExpectContinue, receive } from 'backpressure/node';
 *
 * const receiver = createBackpressure({ process: async (event) => { await store(event); } });
 * const server = createServer(receive(receiver)).listen(3000);
 * handleExpectContinue(server, receiver);
 *
 * @module
 */

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

import type { Backpressure, Slot } from '../core/receiver.js';
import {
  resolveGuardOptions,
  resolveReceiveOptions,
  type GuardOptions,
  type ReceiveOptions,
} from '../http/options.js';
import { statusResponse } from '../http/responses.js';
import { pathOf } from '../http/slot.js';
import { admitNodeRequest, receiveNodeRequest, writePlain } from '../node/request.js';

export { handleExpectContinue } from '../node/request.js';
export type { GuardOptions, ReceiveOptions } from '../http/options.js';

/** What a guard returns: the request's slot, `'excluded'` for a bypassed path, or `undefined`. */
export type NodeGuardResult<T> = Slot<T> | 'excluded' | undefined;

/**
 * Creates a guard for a `node:http` handler. Call it first: `undefined` means the request was
 * rejected and answered already; a slot means it was admitted (fill it with `enqueue()`);
 * `'excluded'` means the path bypasses the gate.
 *
 * @example
 * const admit = guard(receiver, { exclude: ['/health'] });
 * createServer(async (req, res) => {
 *   const slot = admit(req, res);
 *   if (slot === undefined) return;
 *   // ...read the body, then: await slot.enqueue(event); res.writeHead(202).end();
 * });
 */
export function guard<T>(
  receiver: Backpressure<T>,
  options?: GuardOptions,
): (req: IncomingMessage, res: ServerResponse) => NodeGuardResult<T> {
  const resolved = resolveGuardOptions(options);
  return function backpressureGuard(req, res) {
    if (resolved.isExcluded(req.method ?? 'GET', pathOf(req.url))) return 'excluded';
    return admitNodeRequest(receiver, req, res, resolved);
  };
}

/**
 * Creates a request listener that admits, reads and parses a JSON body (up to `limitBytes`),
 * queues it and answers `202 Accepted`; `429` with `Retry-After` when saturated.
 *
 * @example
 * createServer(receive(receiver, { limitBytes: 64 * 1024 })).listen(3000);
 */
export function receive<T>(
  receiver: Backpressure<T>,
  options?: ReceiveOptions<T>,
): RequestListener {
  const resolved = resolveReceiveOptions(options);
  return function backpressureReceive(req, res) {
    const slot = admitNodeRequest(receiver, req, res, resolved);
    if (slot === undefined) return;

    receiveNodeRequest(receiver, slot, req, res, resolved).catch((error: unknown) => {
      // Only an unexpected failure reaches here; body errors were answered already.
      if (!res.headersSent) res.writeHead(500).end();
      res.destroy(error instanceof Error ? error : undefined);
    });
  };
}

/**
 * Creates a request listener serving the receiver's snapshot as JSON. With `readiness: true` it
 * answers 503 once shutdown has begun.
 */
export function statusRoute<T>(
  receiver: Backpressure<T>,
  options: { readiness?: boolean } = {},
): RequestListener {
  const readiness = options.readiness ?? false;
  return function backpressureStatus(_req, res) {
    writePlain(res, statusResponse(receiver, readiness));
  };
}
