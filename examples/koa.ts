/**
 * A webhook receiver on Koa.
 *
 *   npx tsx examples/koa.ts
 *   curl -i localhost:3000/webhooks -H 'content-type: application/json' -d '{"id":"evt_1"}'
 *
 * `POST /webhooks` answers 202 once the event is queued, or 429 with `Retry-After` when the
 * queue is saturated; `GET /health` serves the receiver's snapshot. Ctrl-C (or SIGTERM) stops
 * admitting, drains the queue for up to ten seconds, and exits. `PORT` picks the port.
 *
 * @module
 */

import Koa from 'koa';
import type { AddressInfo } from 'node:net';

import { handleExpectContinue, receive, statusRoute } from '../src/adapters/koa.js';
import { createBackpressure } from '../src/index.js';
import { gracefulShutdown } from '../src/process.js';

interface WebhookEvent {
  readonly id: string;
}

const receiver = createBackpressure<WebhookEvent>({
  capacity: 1_000,
  concurrency: 4,
  // Stands in for the slow part: a database write, a call to another service.
  process: async (event) => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log(`processed ${event.id}`);
  },
});

const webhooks = receive(receiver, {
  limitBytes: 256 * 1024,
  toEvent: (body) => {
    const id = (body as { id?: unknown }).id;
    if (typeof id !== 'string') throw new TypeError('`id` must be a string');
    return { id };
  },
});
const health = statusRoute(receiver, { readiness: true });

// A router would do the same; two routes do not need one.
const app = new Koa();
app.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/webhooks') await webhooks(ctx, next);
  else if (ctx.method === 'GET' && ctx.path === '/health') await health(ctx, next);
  else await next();
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
handleExpectContinue(server, receiver, { exclude: ['/health'] });
gracefulShutdown({ receiver, servers: [server], timeoutMs: 10_000 });
