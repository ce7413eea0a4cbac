/**
 * A webhook receiver on Express.
 *
 *   npx tsx examples/express.ts
 *   curl -i localhost:3000/webhooks -H 'content-type: application/json' -d '{"id":"evt_1"}'
 *
 * `POST /webhooks` answers 202 once the event is queued, or 429 with `Retry-After` when the
 * queue is saturated; `GET /health` serves the receiver's snapshot. Ctrl-C (or SIGTERM) stops
 * admitting, drains the queue for up to ten seconds, and exits. `PORT` picks the port.
 *
 * @module
 */

import express from 'express';
import type { AddressInfo } from 'node:net';

import { handleExpectContinue, receive, statusRoute } from '../src/adapters/express.js';
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

const app = express();
// No express.json() in front: the receiver reads the body itself, and only once admitted.
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

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
handleExpectContinue(server, receiver, { exclude: ['/health'] });
gracefulShutdown({ receiver, servers: [server], timeoutMs: 10_000 });
