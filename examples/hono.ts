/**
 * A webhook receiver on Hono, served on Node by `@hono/node-server`. The same `app` runs
 * unchanged on Bun, Deno and Cloudflare Workers; only the serving and shutdown lines differ.
 *
 *   npx tsx examples/hono.ts
 *   curl -i localhost:3000/webhooks -H 'content-type: application/json' -d '{"id":"evt_1"}'
 *
 * `POST /webhooks` answers 202 once the event is queued, or 429 with `Retry-After` when the
 * queue is saturated; `GET /health` serves the receiver's snapshot. Ctrl-C (or SIGTERM) stops
 * admitting, drains the queue for up to ten seconds, and exits. `PORT` picks the port.
 *
 * @module
 */

import type { Server } from 'node:http';

import { serve } from '@hono/node-server';
import { Hono } from 'hono';

import { receive, statusRoute } from '../src/adapters/hono.js';
import { handleExpectContinue } from '../src/adapters/node.js';
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

const app = new Hono();
app.post(
  '/webhooks',
  receive(receiver, {
    limitBytes: 256 * 1024,
    toEvent: (body) => {
      const id = (body as { id?: unknown }).id;
      if (typeof id !== 'string') throw new TypeError('`id` must be a string');
      return { id };
    },
  }),
);
app.get('/health', statusRoute(receiver, { readiness: true }));

// `serve()` returns a node:http server unless it is asked for HTTP/2.
const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' },
  (info) => {
    console.log(`listening on http://127.0.0.1:${info.port}`);
  },
) as Server;
handleExpectContinue(server, receiver, { exclude: ['/health'] });
gracefulShutdown({ receiver, servers: [server], timeoutMs: 10_000 });
