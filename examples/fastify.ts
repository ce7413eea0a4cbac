/**
 * A webhook receiver on Fastify.
 *
 *   npx tsx examples/fastify.ts
 *   curl -i localhost:3000/webhooks -H 'content-type: application/json' -d '{"id":"evt_1"}'
 *
 * `POST /webhooks` answers 202 once the event is queued, or 429 with `Retry-After` when the
 * queue is saturated; `GET /health` serves the receiver's snapshot. Ctrl-C (or SIGTERM) stops
 * admitting, drains the queue for up to ten seconds, and exits. `PORT` picks the port.
 *
 * @module
 */

import Fastify from 'fastify';

import { fastifyBackpressure, receive, statusRoute } from '../src/adapters/fastify.js';
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

const app = Fastify();
// The plugin gates every route in an onRequest hook, before Fastify reads any body.
await app.register(fastifyBackpressure, { receiver, exclude: ['/health'] });
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

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on ${address}`);
// The plugin drains the receiver when the app closes; this wires that to SIGTERM and SIGINT.
gracefulShutdown({ receiver, close: () => app.close(), timeoutMs: 10_000 });
