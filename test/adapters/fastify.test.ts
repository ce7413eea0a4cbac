import { Writable } from 'node:stream';

import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginCallback,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';

import {
  OptionRangeError,
  OptionTypeError,
  type Backpressure,
  type Slot,
} from '../../src/index.js';
import {
  fastifyBackpressure,
  guard,
  receive,
  statusRoute,
  type FastifyBackpressureOptions,
  type FastifyReceiveRoute,
} from '../../src/adapters/fastify.js';
import defaultExport from '../../src/adapters/fastify.js';
import { describeAdapterContract } from '../support/contract.js';
import { openSocket, postHead, readUntil } from '../support/http.js';
import {
  createTestReceiver,
  saturate,
  type TestEvent,
  type TestReceiver,
  type TestReceiverOptions,
} from '../support/receivers.js';

describeAdapterContract('Fastify', {
  async start(receiver) {
    const app = Fastify();
    await app.register(fastifyBackpressure, { receiver, exclude: ['/health'] });
    app.post('/receive', receive(receiver, { limitBytes: 1024, exclude: ['/health'] }));
    app.post('/guarded', async (request, reply) => {
      await request.backpressure?.enqueue(request.body);
      return reply.code(202).send({ accepted: true });
    });
    app.get('/health', () => 'ok');
    app.get(
      '/status',
      { config: { backpressure: false } },
      statusRoute(receiver, { readiness: true }),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });

    return { url: urlOf(app), server: app.server, close: () => app.close() };
  },
  handlesExpectContinue: true,
});

function urlOf(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

/** Collects what Fastify's logger writes, one parsed JSON line per entry. */
function captureLog(): { logger: { level: string; stream: Writable }; lines: { msg: string }[] } {
  const lines: { msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string });
      callback();
    },
  });
  return { logger: { level: 'warn', stream }, lines };
}

const json = { 'content-type': 'application/json' };

describe('Fastify adapter', () => {
  const apps: FastifyInstance[] = [];
  const unblocks: (() => void)[] = [];

  afterEach(async () => {
    // Held events would keep each app's close() waiting for its drain deadline.
    for (const unblock of unblocks.splice(0)) unblock();
    for (const app of apps.splice(0)) await app.close();
  });

  function testReceiver(options?: TestReceiverOptions): TestReceiver {
    const test = createTestReceiver(options);
    unblocks.push(() => {
      test.unblock();
    });
    return test;
  }

  function create(options: FastifyServerOptions = {}): FastifyInstance {
    const app = Fastify(options);
    apps.push(app);
    return app;
  }

  describe('plugin', () => {
    it('declares itself as the backpressure plugin for Fastify 5 and skips encapsulation', () => {
      const plugin = fastifyBackpressure as unknown as Record<symbol, unknown>;

      expect(plugin[Symbol.for('plugin-meta')]).toMatchObject({
        fastify: '5.x',
        name: 'backpressure',
      });
      expect(plugin[Symbol.for('skip-override')]).toBe(true);
      expect(defaultExport).toBe(fastifyBackpressure);
    });

    it.each([
      [{ receiver: undefined }, OptionTypeError, 'receiver'],
      [{ receiver: { tryAdmit: 1 } }, OptionTypeError, 'receiver'],
      [{ handleExpectContinue: 'yes' }, OptionTypeError, 'handleExpectContinue'],
      [{ closeTimeoutMs: -1 }, OptionRangeError, 'closeTimeoutMs'],
      [{ closeTimeoutMs: 2 ** 31 }, OptionRangeError, 'closeTimeoutMs'],
      [{ closeTimeoutMs: '5s' }, OptionTypeError, 'closeTimeoutMs'],
      [{ onUnprocessed: 'log' }, OptionTypeError, 'onUnprocessed'],
      [{ drainLimitBytes: 1.5 }, OptionRangeError, 'drainLimitBytes'],
      [{ exclude: '/health' }, OptionTypeError, 'exclude'],
    ])('fails registration on invalid options (%o)', async (options, type, option) => {
      const { receiver } = testReceiver();
      const app = create();
      void app.register(fastifyBackpressure, {
        receiver,
        ...options,
      } as unknown as FastifyBackpressureOptions);

      await expect(app.ready()).rejects.toSatisfy(
        (error) => error instanceof type && (error as OptionTypeError).option === option,
      );
    });

    it('hands the admitted request its reserved slot and releases it after the response', async () => {
      const { receiver } = testReceiver();
      const app = create();
      await app.register(fastifyBackpressure, { receiver });
      let seen: Slot<unknown> | null = null;
      app.post('/events', (request) => {
        seen = request.backpressure;
        return { state: request.backpressure?.state };
      });

      const response = await app.inject({
        method: 'POST',
        url: '/events',
        headers: json,
        body: '{}',
      });

      expect(response.json()).toEqual({ state: 'reserved' });
      expect(seen).not.toBeNull();
      await vi.waitFor(() => {
        expect(receiver.snapshot()).toMatchObject({
          reserved: 0,
          counters: { admitted: 1, released: 1 },
        });
      });
    });

    it('rejects from the head with 429, an integer Retry-After and a problem document', async () => {
      const { receiver } = testReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
      await saturate(receiver);
      const { logger, lines } = captureLog();
      const app = create({ logger });
      await app.register(fastifyBackpressure, { receiver });
      const handler = vi.fn(() => 'never');
      app.post('/events', handler);

      const small = await app.inject({ method: 'POST', url: '/events', headers: json, body: '{}' });
      const large = await app.inject({
        method: 'POST',
        url: '/events',
        headers: json,
        body: JSON.stringify({ pad: 'x'.repeat(100_000) }),
      });

      expect(small.statusCode).toBe(429);
      expect(small.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(small.headers['content-type']).toContain('application/problem+json');
      expect(small.headers['cache-control']).toBe('no-store');
      expect(small.headers.connection).not.toBe('close');
      expect(small.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
      expect(large.statusCode).toBe(429);
      expect(large.headers.connection).toBe('close');
      expect(handler).not.toHaveBeenCalled();
      expect(lines.filter((line) => line.msg.includes('backpressure'))).toEqual([]);
    });

    it('reshapes rejections with rejectResponse', async () => {
      const { receiver } = testReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
      await saturate(receiver);
      const app = create();
      await app.register(fastifyBackpressure, {
        receiver,
        rejectResponse: () => ({ status: 503, body: 'busy', headers: { 'x-shed': '1' } }),
      });
      app.post('/events', () => 'never');

      const response = await app.inject({
        method: 'POST',
        url: '/events',
        headers: json,
        body: '{}',
      });

      expect(response.statusCode).toBe(503);
      expect(response.body).toBe('busy');
      expect(response.headers['x-shed']).toBe('1');
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    });

    it('lets a route opt out through its config, and an excluded path through', async () => {
      const { receiver } = testReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
      await saturate(receiver);
      const app = create();
      await app.register(fastifyBackpressure, { receiver, exclude: ['/health'] });
      app.post('/audit', { config: { backpressure: false } }, (request) => ({
        slot: request.backpressure,
      }));
      app.get('/health/live', (request) => ({ slot: request.backpressure }));
      app.post('/events', () => 'never');

      const audit = await app.inject({ method: 'POST', url: '/audit', headers: json, body: '{}' });
      const health = await app.inject({ method: 'GET', url: '/health/live?probe=1' });
      const events = await app.inject({
        method: 'POST',
        url: '/events',
        headers: json,
        body: '{}',
      });

      expect([audit.statusCode, health.statusCode, events.statusCode]).toEqual([200, 200, 429]);
      expect([audit.json(), health.json()]).toEqual([{ slot: null }, { slot: null }]);
    });

    it('gates only the routes of the context it is registered in', async () => {
      const { receiver } = testReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
      await saturate(receiver);
      const app = create();
      await app.register(async (hooks) => {
        await hooks.register(fastifyBackpressure, { receiver, handleExpectContinue: false });
        hooks.post('/hooks', () => 'never');
      });
      app.post('/other', () => 'ok');

      const gated = await app.inject({ method: 'POST', url: '/hooks', headers: json, body: '{}' });
      const other = await app.inject({ method: 'POST', url: '/other', headers: json, body: '{}' });

      expect([gated.statusCode, other.statusCode]).toEqual([429, 200]);
    });

    it('answers Expect: 100-continue on the server, with one slot for the whole request', async () => {
      const test = testReceiver();
      const app = create();
      await app.register(fastifyBackpressure, { receiver: test.receiver });
      app.post('/receive', receive(test.receiver));
      await app.listen({ port: 0, host: '127.0.0.1' });
      const socket = await openSocket(urlOf(app));

      socket.write(postHead('/receive', 8, ['Expect: 100-continue']));
      await readUntil(socket, (text) => text.includes('100 Continue\r\n\r\n'));
      socket.write('{"id":3}');
      const reply = await readUntil(socket, (text) => text.includes('accepted'));
      socket.destroy();

      expect(reply).toMatch(/^HTTP\/1\.1 202 /);
      expect(app.server.listenerCount('checkContinue')).toBe(1);
      expect(test.receiver.snapshot().counters).toMatchObject({ admitted: 1, enqueued: 1 });
    });

    it('leaves Expect: 100-continue alone when told to, and warns when the server already answers it', async () => {
      const { receiver } = testReceiver();
      const { logger, lines } = captureLog();
      const off = create();
      await off.register(fastifyBackpressure, { receiver, handleExpectContinue: false });
      const taken = create({ logger });
      taken.server.on('checkContinue', () => undefined);
      await taken.register(fastifyBackpressure, { receiver });

      expect(off.server.listenerCount('checkContinue')).toBe(0);
      expect(taken.server.listenerCount('checkContinue')).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]?.msg).toContain('Expect: 100-continue');
    });
  });

  describe('closing the app', () => {
    it('drains the receiver and detaches from the server', async () => {
      const test = testReceiver({ blocked: true });
      const app = Fastify();
      const onUnprocessed = vi.fn();
      await app.register(fastifyBackpressure, {
        receiver: test.receiver,
        closeTimeoutMs: Infinity,
        onUnprocessed,
      });
      await app.ready();
      await test.receiver.push({ id: 1 });
      await test.receiver.push({ id: 2 });

      const closing = app.close();
      await vi.waitFor(() => {
        expect(test.receiver.isClosing).toBe(true);
      });
      expect(test.processed.size).toBe(0);
      test.unblock();
      await closing;

      expect(test.receiver.isClosed).toBe(true);
      expect([...test.processed.keys()]).toEqual([1, 2]);
      expect(onUnprocessed).not.toHaveBeenCalled();
      expect(app.server.listenerCount('checkContinue')).toBe(0);
    });

    it('passes the events left at the deadline to onUnprocessed', async () => {
      const test = testReceiver({ blocked: true });
      const app = Fastify();
      const onUnprocessed = vi.fn();
      await app.register(fastifyBackpressure, {
        receiver: test.receiver,
        closeTimeoutMs: 0,
        onUnprocessed,
      });
      for (const id of [1, 2, 3]) await test.receiver.push({ id });

      await app.close();
      test.unblock();

      expect(onUnprocessed).toHaveBeenCalledExactlyOnceWith({
        unprocessed: [{ id: 2 }, { id: 3 }],
        interrupted: [{ id: 1 }],
        drained: false,
      });
    });

    it('logs one warning through fastify.log when events are left and no callback is set', async () => {
      const test = testReceiver({ blocked: true });
      const { logger, lines } = captureLog();
      const app = Fastify({ logger });
      await app.register(fastifyBackpressure, { receiver: test.receiver, closeTimeoutMs: 0 });
      await test.receiver.push({ id: 1 });
      await test.receiver.push({ id: 2 });

      await app.close();
      test.unblock();

      expect(lines.map((line) => line.msg)).toEqual([
        expect.stringContaining('1 events unprocessed and 1 interrupted'),
      ]);
    });
  });

  describe('receive', () => {
    async function serve(options: Parameters<typeof receive<TestEvent>>[1] = {}) {
      const test = testReceiver();
      const app = create();
      await app.register(fastifyBackpressure, { receiver: test.receiver });
      app.post('/receive', receive(test.receiver, { limitBytes: 64, ...options }));
      return { ...test, app };
    }

    it('refuses application/*+json with 415 until the app has a parser for it', async () => {
      const plain = await serve();
      const extended = await serve();
      extended.app.addContentTypeParser(
        /^application\/[\w.-]+\+json$/,
        { parseAs: 'string' },
        extended.app.getDefaultJsonParser('error', 'error'),
      );
      const request = {
        method: 'POST',
        url: '/receive',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: '{"id":5}',
      } as const;

      const refused = await plain.app.inject(request);
      const accepted = await extended.app.inject(request);
      await extended.receiver.onIdle();

      expect([refused.statusCode, accepted.statusCode]).toEqual([415, 202]);
      expect(extended.processed.get(5)).toBe(1);
    });

    it('takes its body limit from limitBytes', () => {
      const { receiver } = testReceiver();

      expect(receive(receiver, { limitBytes: 2048 }).bodyLimit).toBe(2048);
      expect(receive(receiver).bodyLimit).toBe(1_048_576);
    });

    it.each([
      ['an unparsed content type', 'application/xml', '<id>1</id>', 415],
      ['text Fastify parses but the receiver refuses', 'text/plain', '{"id":1}', 415],
      ['malformed JSON', 'application/json', '{"id":', 400],
      ['an empty JSON body', 'application/json', '', 400],
      ['a body over limitBytes', 'application/json', JSON.stringify({ pad: 'x'.repeat(100) }), 413],
    ])(
      'answers %s with its 4xx problem document and gives the slot back',
      async (_l, type, body, status) => {
        const test = await serve();

        const response = await test.app.inject({
          method: 'POST',
          url: '/receive',
          headers: { 'content-type': type },
          body,
        });

        expect(response.statusCode).toBe(status);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json()).toMatchObject({ status, type: 'about:blank' });
        await vi.waitFor(() => {
          expect(test.receiver.snapshot()).toMatchObject({
            reserved: 0,
            counters: { admitted: 1, released: 1, enqueued: 0 },
          });
        });
      },
    );

    it('states the route body limit in a 413', async () => {
      const test = await serve();
      const body = JSON.stringify({ pad: 'x'.repeat(100) });

      const response = await test.app.inject({
        method: 'POST',
        url: '/receive',
        headers: json,
        body,
      });

      expect(response.json<{ detail: string }>().detail).toContain('64 bytes');
    });

    it('answers 400 when toEvent throws, and queues what toEvent returns', async () => {
      const test = await serve({
        toEvent: (body) => {
          const id = (body as { id?: unknown }).id;
          if (typeof id !== 'number') throw new Error('id must be a number');
          return { id: id * 10 };
        },
      });

      const bad = await test.app.inject({
        method: 'POST',
        url: '/receive',
        headers: json,
        body: '{}',
      });
      const good = await test.app.inject({
        method: 'POST',
        url: '/receive',
        headers: json,
        body: '{"id":4}',
      });
      await test.receiver.onIdle();

      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ detail: string }>().detail).toContain('id must be a number');
      expect(good.statusCode).toBe(202);
      expect(good.json()).toEqual({ accepted: true });
      expect([...test.processed.keys()]).toEqual([40]);
    });

    it('passes errors other than body errors on to the app error handler', async () => {
      const { receiver } = testReceiver();
      const app = create();
      app.setErrorHandler((error: FastifyError, _request, reply) =>
        reply.code(422).send({ seen: error.code }),
      );
      app.post('/receive', {
        ...receive(receiver),
        schema: { body: { type: 'object', required: ['id'] } },
      });

      const response = await app.inject({
        method: 'POST',
        url: '/receive',
        headers: json,
        body: '{}',
      });

      expect(response.statusCode).toBe(422);
      expect(response.json()).toEqual({ seen: 'FST_ERR_VALIDATION' });
      await vi.waitFor(() => {
        expect(receiver.snapshot().reserved).toBe(0);
      });
    });

    it('admits from the head by itself when the plugin is not registered', async () => {
      const test = testReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
      const app = create();
      app.post('/receive', receive(test.receiver));

      const admitted = await app.inject({
        method: 'POST',
        url: '/receive',
        headers: json,
        body: '{"id":1}',
      });
      await saturate(test.receiver);
      const rejected = await app.inject({
        method: 'POST',
        url: '/receive',
        headers: json,
        body: '{"id":2}',
      });

      expect([admitted.statusCode, rejected.statusCode]).toEqual([202, 429]);
      expect(rejected.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    });

    it('answers 503 when the receiver closed while the body was on its way', async () => {
      const { receiver } = testReceiver();
      const app = create();
      await app.register(fastifyBackpressure, { receiver });
      app.post('/receive', {
        ...receive(receiver),
        preHandler: async () => {
          await receiver.close({ timeoutMs: 0 });
        },
      });

      const response = await app.inject({
        method: 'POST',
        url: '/receive',
        headers: json,
        body: '{}',
      });

      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      await vi.waitFor(() => {
        expect(receiver.snapshot()).toMatchObject({ reserved: 0, counters: { enqueued: 0 } });
      });
    });
  });

  describe('guard and statusRoute', () => {
    it('gates a single route without the plugin and keeps excluded paths open', async () => {
      const { receiver } = testReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
      const app = create();
      const onRequest = guard(receiver, { exclude: ['/events/ping'] });
      app.post('/events', { onRequest }, (request) => ({ state: request.backpressure?.state }));
      app.post('/events/ping', { onRequest }, () => 'pong');

      const admitted = await app.inject({
        method: 'POST',
        url: '/events',
        headers: json,
        body: '{}',
      });
      await saturate(receiver);
      const rejected = await app.inject({
        method: 'POST',
        url: '/events',
        headers: json,
        body: '{}',
      });
      const ping = await app.inject({
        method: 'POST',
        url: '/events/ping',
        headers: json,
        body: '{}',
      });

      expect(admitted.json()).toEqual({ state: 'reserved' });
      expect([rejected.statusCode, ping.statusCode]).toEqual([429, 200]);
    });

    it('keeps the slot the plugin reserved instead of reserving a second one', async () => {
      const { receiver } = testReceiver();
      const app = create();
      await app.register(fastifyBackpressure, { receiver });
      app.post('/events', { onRequest: guard(receiver) }, () => 'ok');

      await app.inject({ method: 'POST', url: '/events', headers: json, body: '{}' });

      expect(receiver.snapshot().counters.admitted).toBe(1);
    });

    it('serves the snapshot, and 503 with readiness once closing', async () => {
      const { receiver } = testReceiver();
      const app = create();
      app.get('/status', statusRoute(receiver, { readiness: true }));
      app.get('/liveness', statusRoute(receiver));

      const ready = await app.inject({ method: 'GET', url: '/status' });
      await receiver.close();
      const closed = await app.inject({ method: 'GET', url: '/status' });
      const alive = await app.inject({ method: 'GET', url: '/liveness' });

      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ capacity: 100, accepting: true });
      expect([closed.statusCode, alive.statusCode]).toEqual([503, 200]);
      expect(statusRoute(receiver).name).toBe('backpressureStatus');
    });
  });

  describe('types', () => {
    it('types request.backpressure, the route config flag, the plugin and the receive route', () => {
      const { receiver } = testReceiver();

      expectTypeOf<FastifyRequest['backpressure']>().toEqualTypeOf<Slot<unknown> | null>();
      expectTypeOf(fastifyBackpressure).toEqualTypeOf<
        FastifyPluginCallback<FastifyBackpressureOptions>
      >();
      expectTypeOf(receive(receiver)).toEqualTypeOf<FastifyReceiveRoute>();
      expectTypeOf(receive(receiver).bodyLimit).toBeNumber();
      expectTypeOf(misuses).toBeFunction();
    });
  });
});

/** Never called: each line must fail to type-check, and the open route must pass. */
function misuses(app: FastifyInstance, receiver: Backpressure<TestEvent>): void {
  app.get('/open', { config: { backpressure: false } }, () => 'ok');
  // @ts-expect-error the route flag is a boolean
  app.get('/typo', { config: { backpressure: 'off' } }, () => 'ok');
  // @ts-expect-error the receiver is required
  void app.register(fastifyBackpressure, { exclude: ['/health'] });
  // @ts-expect-error closeTimeoutMs is a number of milliseconds
  void app.register(fastifyBackpressure, { receiver, closeTimeoutMs: '5s' });
  // @ts-expect-error limitBytes is a number of bytes
  receive(receiver, { limitBytes: '1kb' });
  // @ts-expect-error the slot is typed: it is no event itself
  app.post('/orders', (request) => request.backpressure?.enqueue(1, 2));
}
