import type { Server } from 'node:http';

import { serve } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';

import { createBackpressure, SlotSettledError, type Slot } from '../../src/index.js';
import { guard, receive, statusRoute, type BackpressureEnv } from '../../src/adapters/hono.js';
import { started } from '../support/listen.js';
import { describeAdapterContract, type StartedServer } from '../support/contract.js';
import {
  createTestReceiver,
  saturate,
  type TestEvent,
  type TestReceiver,
  type TestReceiverOptions,
} from '../support/receivers.js';

const routeOptions = { exclude: ['/health'] };
const json = { 'content-type': 'application/json' };

function contractApp(receiver: TestReceiver['receiver']): Hono {
  const app = new Hono();
  app.post('/receive', receive(receiver, { ...routeOptions, limitBytes: 1024 }));
  app.post('/guarded', guard(receiver, routeOptions), async (c) => {
    await c.var.backpressure.enqueue(await c.req.json<TestEvent>());
    return c.json({ accepted: true }, 202);
  });
  app.get('/health', (c) => c.text('ok'));
  app.get('/status', statusRoute(receiver, { readiness: true }));
  // A client that vanished mid-body makes `c.req.json()` throw: answer without logging.
  app.onError((_error, c) => c.text('error', 500));
  return app;
}

describeAdapterContract('hono', {
  async start(receiver): Promise<StartedServer> {
    const server = serve({
      fetch: contractApp(receiver).fetch,
      port: 0,
      hostname: '127.0.0.1',
    }) as Server;
    return started(server);
  },
});

describe('hono adapter', () => {
  const receivers: TestReceiver[] = [];

  afterEach(async () => {
    for (const test of receivers.splice(0)) {
      test.unblock();
      await test.receiver.close({ timeoutMs: 1_000 });
    }
  });

  function testReceiver(options: TestReceiverOptions = {}): TestReceiver {
    const test = createTestReceiver(options);
    receivers.push(test);
    return test;
  }

  function post(
    app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
    path: string,
    body: string,
    headers: Record<string, string> = json,
  ): Promise<Response> {
    return Promise.resolve(app.request(path, { method: 'POST', headers, body }));
  }

  /** A request whose body arrives in chunks the test writes, with no Content-Length. */
  function streamingRequest(path: string): {
    request: Request;
    writer: WritableStreamDefaultWriter<Uint8Array>;
    abort: () => void;
  } {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const controller = new AbortController();
    const request = new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: json,
      body: readable,
      signal: controller.signal,
      duplex: 'half',
    });
    return {
      request,
      writer: writable.getWriter(),
      abort: () => {
        controller.abort();
      },
    };
  }

  it('names the functions it returns, for readable stack traces', () => {
    const { receiver } = testReceiver();
    expect(guard(receiver).name).toBe('backpressureGuard');
    expect(receive(receiver).name).toBe('backpressureReceive');
    expect(statusRoute(receiver).name).toBe('backpressureStatus');
  });

  it('rejects invalid options when the middleware is created', () => {
    const { receiver } = testReceiver();
    expect(() => receive(receiver, { limitBytes: 0 })).toThrow(/`limitBytes`.*got number 0/);
    // @ts-expect-error exclude takes strings, patterns or a predicate
    expect(() => guard(receiver, { exclude: [42] })).toThrow(TypeError);
  });

  it('admits a JSON body, queues it and answers 202', async () => {
    const test = testReceiver();
    const app = new Hono().post('/hook', receive(test.receiver));

    const response = await post(app, '/hook', '{"id":1}');
    await test.receiver.onIdle();

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: true });
    expect(test.processed.get(1)).toBe(1);
  });

  it('rejects with 429 and an integer Retry-After before the route runs', async () => {
    const test = testReceiver({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
    const route = vi.fn((c: { body: (data: null, status: 202) => Response }) => c.body(null, 202));
    const app = new Hono().post('/hook', guard(test.receiver), route);
    await saturate(test.receiver);

    const response = await post(app, '/hook', '{"id":1}');

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(route).not.toHaveBeenCalled();
  });

  it('asks the client to close the connection when rejecting an unsized body', async () => {
    const test = testReceiver({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
    const app = new Hono().post('/hook', receive(test.receiver));
    await saturate(test.receiver);

    const small = await post(app, '/hook', '{"id":1}', { ...json, 'content-length': '8' });
    const unsized = await post(app, '/hook', '{"id":1}', {
      ...json,
      'transfer-encoding': 'chunked',
    });

    expect(small.headers.get('connection')).toBeNull();
    expect(unsized.status).toBe(429);
    expect(unsized.headers.get('connection')).toBe('close');
  });

  it('lets a rejectResponse hook reshape the rejection, keeping Retry-After', async () => {
    const test = testReceiver({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
    const app = new Hono().post(
      '/hook',
      receive(test.receiver, {
        rejectResponse: () => ({ status: 503, headers: { 'X-Shed': 'yes' }, body: 'busy' }),
      }),
    );
    await saturate(test.receiver);

    const response = await post(app, '/hook', '{"id":1}');

    expect(response.status).toBe(503);
    expect(response.headers.get('x-shed')).toBe('yes');
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await response.text()).toBe('busy');
  });

  it('sends no body when a rejectResponse hook picks a status that allows none', async () => {
    const test = testReceiver({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
    const app = new Hono().post(
      '/hook',
      guard(test.receiver, { rejectResponse: () => ({ status: 204 }) }),
    );
    await saturate(test.receiver);

    const response = await post(app, '/hook', '{"id":1}');

    expect(response.status).toBe(204);
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await response.text()).toBe('');
  });

  it.each([
    ['malformed JSON', 'application/json', '{"id": 1', 400],
    ['a body over the limit', 'application/json', JSON.stringify({ pad: 'x'.repeat(300) }), 413],
    ['a wrong content type', 'text/plain', '{"id":1}', 415],
    ['an empty body', 'application/json', '', 400],
  ])('answers %s with its 4xx and gives the slot back', async (_label, type, body, status) => {
    const test = testReceiver();
    const app = new Hono().post('/hook', receive(test.receiver, { limitBytes: 256 }));

    const response = await post(app, '/hook', body, { 'content-type': type });

    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(test.receiver.snapshot()).toMatchObject({ reserved: 0, counters: { enqueued: 0 } });
  });

  it('answers 413 as soon as an unsized body streams past the limit', async () => {
    const test = testReceiver();
    const app = new Hono().post('/hook', receive(test.receiver, { limitBytes: 16 }));
    const { request, writer } = streamingRequest('/hook');

    const pending = app.request(request);
    void writer.write(new TextEncoder().encode('{"pad":"'));
    void writer.write(new TextEncoder().encode('x'.repeat(32)));
    const response = await pending;

    expect(response.status).toBe(413);
    expect(response.headers.get('connection')).toBe('close');
    expect(test.receiver.snapshot().reserved).toBe(0);
  });

  it('answers 400 when toEvent throws, naming the reason', async () => {
    const test = testReceiver();
    const toEvent = (body: unknown): TestEvent => {
      if (typeof body !== 'object' || body === null || !('id' in body)) throw new Error('no id');
      return body as TestEvent;
    };
    const app = new Hono().post('/hook', receive(test.receiver, { toEvent }));

    const response = await post(app, '/hook', '{"name":"x"}');

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ detail: 'Invalid event: no id' });
    expect(test.receiver.snapshot().reserved).toBe(0);
  });

  it('never sheds an excluded path, and sets no slot there', async () => {
    const test = testReceiver({ capacity: 10, highWatermark: 2, lowWatermark: 1, blocked: true });
    const app = new Hono<BackpressureEnv<TestEvent>>();
    app.use(guard(test.receiver, { exclude: ['/health'] }));
    app.get('/health/live', (c) => c.json(Object.keys(c.var)));
    app.get('/other', (c) => c.text('ok'));
    await saturate(test.receiver);

    const health = await app.request('/health/live');
    const other = await app.request('/other');

    expect(health.status).toBe(200);
    expect(await health.json()).toEqual([]);
    expect(other.status).toBe(429);
  });

  it('hands the route a typed slot and releases it when the route leaves it unfilled', async () => {
    const test = testReceiver();
    const app = new Hono().post('/hook', guard(test.receiver), (c) => {
      expectTypeOf(c.var.backpressure).toEqualTypeOf<Slot<TestEvent>>();
      expectTypeOf(c.get('backpressure')).toEqualTypeOf<Slot<TestEvent>>();
      expect(c.var.backpressure.state).toBe('reserved');
      return c.text('declined', 422);
    });

    const response = await post(app, '/hook', '{"id":1}');

    expect(response.status).toBe(422);
    expect(test.receiver.snapshot()).toMatchObject({ reserved: 0, counters: { released: 1 } });
  });

  it('releases the slot when the client goes away while the route is still working', async () => {
    const test = testReceiver();
    let slot: Slot<TestEvent> | undefined;
    let finish: () => void = () => undefined;
    const app = new Hono().post('/hook', guard(test.receiver), async (c) => {
      slot = c.var.backpressure;
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return c.body(null, 204);
    });
    const { request, abort } = streamingRequest('/hook');

    const pending = Promise.resolve(app.request(request));
    await vi.waitFor(() => {
      expect(test.receiver.snapshot().reserved).toBe(1);
    });
    abort();

    expect(test.receiver.snapshot().reserved).toBe(0);
    await expect(slot?.enqueue({ id: 1 })).rejects.toBeInstanceOf(SlotSettledError);
    finish();
    await pending;
  });

  it('reuses the slot of an upstream guard instead of admitting twice', async () => {
    const test = testReceiver();
    const app = new Hono().post('/hook', guard(test.receiver), receive(test.receiver));

    const response = await post(app, '/hook', '{"id":3}');
    await test.receiver.onIdle();

    expect(response.status).toBe(202);
    expect(test.receiver.snapshot().counters).toMatchObject({ admitted: 1, enqueued: 1 });
  });

  it('reads a body that an upstream middleware already parsed, under the same limit', async () => {
    const test = testReceiver();
    const app = new Hono();
    app.use(async (c, next) => {
      await c.req.json();
      await next();
    });
    app.post('/hook', receive(test.receiver, { limitBytes: 32 }));

    const accepted = await post(app, '/hook', '{"id":4}');
    const tooLarge = await post(app, '/hook', JSON.stringify({ id: 5, pad: 'x'.repeat(40) }));
    await test.receiver.onIdle();

    expect(accepted.status).toBe(202);
    expect(tooLarge.status).toBe(413);
    expect([...test.processed.keys()]).toEqual([4]);
  });

  it('answers the closing rejection when shutdown gives up on a body still uploading', async () => {
    const test = testReceiver();
    const app = new Hono().post('/hook', receive(test.receiver));
    const { request, writer } = streamingRequest('/hook');

    const pending = app.request(request);
    void writer.write(new TextEncoder().encode('{"id":'));
    await vi.waitFor(() => {
      expect(test.receiver.snapshot().reserved).toBe(1);
    });
    await expect(test.receiver.close({ timeoutMs: 0 })).resolves.toMatchObject({ drained: false });
    void writer.write(new TextEncoder().encode('6}'));
    void writer.close();
    const response = await pending;

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(test.receiver.snapshot().counters.enqueued).toBe(0);
  });

  it('serves the snapshot as JSON on the status route', async () => {
    const test = testReceiver();
    const app = new Hono().get('/status', statusRoute(test.receiver));

    const response = await app.request('/status');

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ capacity: 100, accepting: true });
  });

  it('types the slot with the receiver event type, in apps with their own bindings too', () => {
    const receiver = createBackpressure<TestEvent>({ process: () => undefined });
    expectTypeOf(guard(receiver)).toEqualTypeOf<MiddlewareHandler<BackpressureEnv<TestEvent>>>();
    expectTypeOf<BackpressureEnv<TestEvent>['Variables']['backpressure']>().toEqualTypeOf<
      Slot<TestEvent>
    >();

    const app = new Hono<{ Bindings: { QUEUE_NAME: string } }>();
    app.post('/hook', guard(receiver), async (c) => {
      expectTypeOf(c.env.QUEUE_NAME).toBeString();
      // @ts-expect-error the slot takes the receiver's event type
      await c.var.backpressure.enqueue('not an event');
      return c.body(null, 202);
    });
    app.post('/receive', receive(receiver));
  });
});
