/**
 * The behaviour every adapter owes its users, run against a real server on 127.0.0.1:0 with real
 * HTTP clients. An adapter's test file supplies a fixture that serves four routes and calls
 * `describeAdapterContract`.
 */

import type { Server } from 'node:http';

import { Agent, Client, request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Backpressure } from '../../src/index.js';
import { handleExpectContinue } from '../../src/node/request.js';
import { openSocket, postHead, readUntil } from './http.js';
import {
  createTestReceiver,
  saturate,
  type TestEvent,
  type TestReceiver,
  type TestReceiverOptions,
} from './receivers.js';

/** A server started by a fixture. */
export interface StartedServer {
  /** Base URL, such as `http://127.0.0.1:40123`. */
  url: string;
  /** The node:http server underneath. */
  server: Server;
  close(): Promise<void>;
}

/**
 * Starts a server with these routes:
 * - `POST /receive`: the adapter's `receive(receiver, { limitBytes: 1024, exclude: ['/health'] })`;
 * - `POST /guarded`: the adapter's guard, the framework's JSON parser, then a handler that
 *   enqueues the parsed body through the adapter's idiom and answers 202;
 * - `GET /health`: excluded from the gate, answers 200;
 * - `GET /status`: `statusRoute(receiver, { readiness: true })`.
 */
export interface AdapterFixture {
  start(receiver: Backpressure<TestEvent>): Promise<StartedServer>;
  /** True when the fixture (or the adapter itself) already answers `Expect: 100-continue`. */
  handlesExpectContinue?: boolean;
}

const json = { 'content-type': 'application/json' };

export function describeAdapterContract(name: string, fixture: AdapterFixture): void {
  describe(`${name}: adapter contract`, () => {
    const cleanups: (() => Promise<void>)[] = [];

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function serve(
      options: TestReceiverOptions = {},
    ): Promise<TestReceiver & { url: string; server: Server }> {
      const test = createTestReceiver(options);
      const started = await fixture.start(test.receiver);
      if (fixture.handlesExpectContinue !== true) {
        handleExpectContinue(started.server, test.receiver, { exclude: ['/health'] });
      }

      cleanups.push(async () => {
        test.unblock();
        await test.receiver.close({ timeoutMs: 5_000 });
        await started.close();
      });
      return { ...test, url: started.url, server: started.server };
    }

    it('answers a flood of 5,000 concurrent POSTs with 202s and 429s, processing each 202 once', async () => {
      const test = await serve({
        capacity: 1000,
        highWatermark: 800,
        lowWatermark: 400,
        concurrency: 4,
        delayMs: 10,
      });
      const agent = new Agent({ connections: 256 });
      cleanups.push(() => agent.close());

      const outcomes = await Promise.all(
        Array.from({ length: 5000 }, async (_, id) => {
          const response = await request(`${test.url}/receive`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ id }),
            dispatcher: agent,
          });
          await response.body.dump();
          return { id, status: response.statusCode, retryAfter: response.headers['retry-after'] };
        }),
      );
      await test.receiver.onIdle();

      const accepted = outcomes.filter((outcome) => outcome.status === 202).map((o) => o.id);
      const rejected = outcomes.filter((outcome) => outcome.status === 429);
      expect(accepted.length + rejected.length).toBe(5000);
      expect(accepted.length).toBeGreaterThan(0);
      expect(rejected.length).toBeGreaterThan(0);
      for (const { retryAfter } of rejected) expect(String(retryAfter)).toMatch(/^[1-9]\d*$/);

      expect([...test.processed.keys()].sort((a, b) => a - b)).toEqual(accepted);
      expect([...test.processed.values()].every((count) => count === 1)).toBe(true);
      expect(test.maxDepth()).toBeLessThanOrEqual(1000);
      expect(test.receiver.snapshot().counters.enqueued).toBe(accepted.length);
    });

    it.each(['/receive', '/guarded'])(
      'releases the reservation of a client that aborts mid-body on %s',
      async (path) => {
        const test = await serve();
        const socket = await openSocket(test.url);
        socket.write(postHead(path, 500) + '{"id": 1, "pad": "');
        await vi.waitFor(() => {
          expect(test.receiver.snapshot().reserved).toBe(1);
        });

        socket.destroy();
        await vi.waitFor(() => {
          expect(test.receiver.snapshot().reserved).toBe(0);
        });
        expect(test.receiver.snapshot().counters.enqueued).toBe(0);
      },
    );

    it('serves the next request on the same keep-alive connection after a 429', async () => {
      const test = await serve({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
      let connections = 0;
      test.server.on('connection', () => connections++);
      const client = new Client(test.url, { pipelining: 1 });
      cleanups.push(() => client.close());
      await saturate(test.receiver);

      const rejected = await client.request({
        path: '/receive',
        method: 'POST',
        headers: json,
        body: JSON.stringify({ id: 1 }),
      });
      await rejected.body.dump();
      expect(rejected.statusCode).toBe(429);

      test.unblock();
      await test.receiver.onIdle();
      const accepted = await client.request({
        path: '/receive',
        method: 'POST',
        headers: json,
        body: JSON.stringify({ id: 2 }),
      });
      await accepted.body.dump();

      expect(accepted.statusCode).toBe(202);
      expect(connections).toBe(1);
    });

    it('closes the connection after rejecting a body too large to drain, and the client recovers', async () => {
      const test = await serve({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
      const client = new Client(test.url, { pipelining: 1 });
      cleanups.push(() => client.close());
      await saturate(test.receiver);

      const rejected = await client.request({
        path: '/receive',
        method: 'POST',
        headers: json,
        body: JSON.stringify({ id: 1, pad: 'x'.repeat(200_000) }),
      });
      await rejected.body.dump();
      expect(rejected.statusCode).toBe(429);
      expect(rejected.headers.connection).toBe('close');

      test.unblock();
      await test.receiver.onIdle();
      const accepted = await client.request({
        path: '/receive',
        method: 'POST',
        headers: json,
        body: JSON.stringify({ id: 2 }),
      });
      await accepted.body.dump();
      expect(accepted.statusCode).toBe(202);
    });

    it('rejects with 429, an integer Retry-After and a problem document that reveals no internals', async () => {
      const test = await serve({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
      await saturate(test.receiver);

      const response = await fetch(`${test.url}/receive`, {
        method: 'POST',
        headers: json,
        body: '{"id":1}',
      });
      const problem = (await response.json()) as Record<string, unknown>;

      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(Object.keys(problem).sort()).toEqual(['detail', 'status', 'title', 'type']);
      expect(problem.status).toBe(429);
    });

    it('rejects on the guarded route before the framework reads the body', async () => {
      const test = await serve({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
      await saturate(test.receiver);
      const socket = await openSocket(test.url);

      // Only the head is sent: a 429 can only come from a decision made on the headers.
      socket.write(postHead('/guarded', 100));
      const reply = await readUntil(socket, (text) => text.includes('\r\n\r\n'));
      socket.destroy();

      expect(reply).toMatch(/^HTTP\/1\.1 429 /);
      expect(reply.toLowerCase()).toContain('retry-after: ');
    });

    it('queues a body through the guarded route and processes it', async () => {
      const test = await serve();
      const response = await fetch(`${test.url}/guarded`, {
        method: 'POST',
        headers: json,
        body: '{"id":7}',
      });
      await response.arrayBuffer();
      await test.receiver.onIdle();

      expect(response.status).toBe(202);
      expect(test.processed.get(7)).toBe(1);
      expect(test.receiver.snapshot().reserved).toBe(0);
    });

    it.each([
      ['malformed JSON', 'application/json', '{"id": 1', 400],
      ['a body over the limit', 'application/json', JSON.stringify({ pad: 'x'.repeat(2048) }), 413],
      ['a wrong content type', 'text/plain', '{"id":1}', 415],
    ])('answers %s with its 4xx and releases the slot', async (_label, type, body, status) => {
      const test = await serve();
      const response = await fetch(`${test.url}/receive`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      await response.arrayBuffer();

      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      await vi.waitFor(() => {
        expect(test.receiver.snapshot().reserved).toBe(0);
      });
      expect(test.receiver.snapshot().counters.enqueued).toBe(0);
    });

    it('refuses an Expect: 100-continue request before its body is sent', async () => {
      const test = await serve({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
      await saturate(test.receiver);
      const socket = await openSocket(test.url);

      socket.write(postHead('/receive', 8, ['Expect: 100-continue']));
      const reply = await readUntil(socket, (text) => text.includes('\r\n\r\n'));
      socket.destroy();

      expect(reply).toMatch(/^HTTP\/1\.1 429 /);
    });

    it('sends 100 Continue to an admitted Expect: 100-continue request and queues its body', async () => {
      const test = await serve();
      const socket = await openSocket(test.url);

      socket.write(postHead('/receive', 8, ['Expect: 100-continue']));
      const interim = await readUntil(socket, (text) => text.includes('\r\n\r\n'));
      expect(interim).toMatch(/^HTTP\/1\.1 100 /);

      socket.write('{"id":9}');
      const reply = await readUntil(socket, (text) => /\r\n\r\n.*accepted/s.test(text));
      socket.destroy();
      await test.receiver.onIdle();

      expect(reply).toMatch(/^HTTP\/1\.1 202 /);
      expect(test.processed.get(9)).toBe(1);
    });

    it('never sheds an excluded health route', async () => {
      const test = await serve({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
      await saturate(test.receiver);

      const response = await fetch(`${test.url}/health`);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    });

    it('serves the snapshot, and reports not-ready once shutdown begins', async () => {
      const test = await serve({ blocked: true });
      await test.receiver.push({ id: 1 });

      const ready = await fetch(`${test.url}/status`);
      const snapshot = (await ready.json()) as { capacity: number; accepting: boolean };
      expect(ready.status).toBe(200);
      expect(snapshot).toMatchObject({ capacity: 100, accepting: true });

      const closing = test.receiver.close({ timeoutMs: 5_000 });
      const notReady = await fetch(`${test.url}/status`);
      await notReady.arrayBuffer();
      const shed = await fetch(`${test.url}/receive`, {
        method: 'POST',
        headers: json,
        body: '{"id":2}',
      });
      await shed.arrayBuffer();

      expect(notReady.status).toBe(503);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      test.unblock();
      await expect(closing).resolves.toMatchObject({ drained: true });
      expect(test.processed.get(1)).toBe(1);
    });
  });
}
