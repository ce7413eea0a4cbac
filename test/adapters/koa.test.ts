import { createRequire } from 'node:module';

import Koa, { type Middleware } from 'koa';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';

import { createBackpressure, type Backpressure, type Slot } from '../../src/index.js';
import {
  guard,
  handleExpectContinue,
  receive,
  slotOf,
  statusRoute,
  type BackpressureState,
  type GuardOptions,
  type ReceiveOptions,
} from '../../src/adapters/koa.js';
import { started } from '../support/listen.js';
import { describeAdapterContract, type StartedServer } from '../support/contract.js';
import { openSocket, postHead, readUntil } from '../support/http.js';
import { createTestReceiver, saturate, type TestEvent } from '../support/receivers.js';

// Koa 2 ships no types of its own; the @types/koa declarations describe its application,
// context and middleware as well, which the Koa 2 fixture exercises at run time.
const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa;

type State = BackpressureState<TestEvent>;

const routeOptions = { exclude: ['/health'] };

/** A route for the tiny router below: its handlers run in order when method and path match. */
function route(method: string, path: string, ...handlers: Middleware<State>[]): Middleware<State> {
  return (ctx, next) => {
    if (ctx.method !== method || ctx.path !== path) return next();

    const run = async (index: number): Promise<void> => {
      await handlers[index]?.(ctx, () => run(index + 1));
    };
    return run(0);
  };
}

/** Stands in for a body parser: reads the whole body into `ctx.request.body`. */
const readJsonBody: Middleware<State> = async (ctx, next) => {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  } catch {
    return; // the client went away mid-body
  }

  (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  await next();
};

/** Errors the contract fixtures' apps reported, other than clients going away mid-body. */
const unexpectedErrors: Error[] = [];

afterEach(() => {
  expect(unexpectedErrors.splice(0)).toEqual([]);
});

// Koa reports a socket torn down mid-upload as an app error; the contract does that on purpose.
function isClientAbort(error: Error & { code?: string }): boolean {
  return error.code === 'ECONNRESET' || (error.code?.startsWith('HPE_') ?? false);
}

function koaApp(Application: typeof Koa, receiver: Backpressure<TestEvent>): Koa<State> {
  const app = new Application<State>();
  app.on('error', (error: Error) => {
    if (!isClientAbort(error)) unexpectedErrors.push(error);
  });

  return app
    .use(route('POST', '/receive', receive(receiver, { ...routeOptions, limitBytes: 1024 })))
    .use(
      route('POST', '/guarded', guard(receiver, routeOptions), readJsonBody, async (ctx) => {
        await slotOf<TestEvent>(ctx).enqueue((ctx.request as { body?: unknown }).body as TestEvent);
        ctx.status = 202;
        ctx.body = { accepted: true };
      }),
    )
    .use(
      route('GET', '/health', (ctx) => {
        ctx.body = 'ok';
      }),
    )
    .use(route('GET', '/status', statusRoute(receiver, { readiness: true })));
}

/** Listens through `app.listen()`, as applications do, and hooks `Expect: 100-continue` there. */
async function listen(app: Koa<State>, receiver?: Backpressure<TestEvent>): Promise<StartedServer> {
  const server = app.listen(0, '127.0.0.1');
  if (receiver !== undefined) handleExpectContinue(server, receiver, routeOptions);
  return started(server);
}

describeAdapterContract('Koa 3', {
  start: (receiver) => listen(koaApp(Koa, receiver), receiver),
  handlesExpectContinue: true,
});

describeAdapterContract('Koa 2', {
  start: (receiver) => listen(koaApp(Koa2, receiver), receiver),
  handlesExpectContinue: true,
});

const versions = [
  { version: 'Koa 3', Application: Koa },
  { version: 'Koa 2', Application: Koa2 },
];

describe.each(versions)('$version adapter', ({ Application }) => {
  const servers: StartedServer[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  /** Creates an app whose errors are collected instead of logged. */
  function create(): { app: Koa<State>; errors: Error[] } {
    const app = new Application<State>();
    const errors: Error[] = [];
    app.on('error', (error: Error) => errors.push(error));
    return { app, errors };
  }

  async function serve(app: Koa<State>, receiver?: Backpressure<TestEvent>): Promise<string> {
    const started = await listen(app, receiver);
    servers.push(started);
    return started.url;
  }

  function post(url: string, body: string, type = 'application/json'): Promise<Response> {
    return fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  }

  it('leaves the reserved slot in ctx.state.backpressure and releases it after the response', async () => {
    const { receiver } = createTestReceiver();
    const { app } = create();
    app.use(guard(receiver)).use((ctx) => {
      ctx.body = {
        state: slotOf<TestEvent>(ctx).state,
        same: slotOf(ctx) === ctx.state.backpressure,
      };
    });
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":1}');

    expect(await response.json()).toEqual({ state: 'reserved', same: true });
    await vi.waitFor(() => {
      expect(receiver.snapshot()).toMatchObject({ reserved: 0, counters: { released: 1 } });
    });
  });

  it('answers a rejection through ctx, where upstream middleware still sees it', async () => {
    const { receiver } = createTestReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
    await saturate(receiver);
    const { app } = create();
    let reached = false;
    app
      .use(async (ctx, next) => {
        await next();
        ctx.set('x-seen-status', String(ctx.status));
      })
      .use(guard(receiver))
      .use(() => {
        reached = true;
      });
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":1}');
    const problem = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(response.headers.get('x-seen-status')).toBe('429');
    expect(problem).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(reached).toBe(false);
  });

  it('asks the client to close the connection when a rejected body is unsized', async () => {
    const { receiver } = createTestReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
    await saturate(receiver);
    const { app } = create();
    app.use(guard(receiver));
    const url = await serve(app);
    const socket = await openSocket(url);

    socket.write(
      'POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n5\r\n{"id"\r\n',
    );
    const reply = await readUntil(socket, (text) => text.includes('\r\n\r\n'));
    socket.destroy();

    expect(reply).toMatch(/^HTTP\/1\.1 429 /);
    expect(reply.toLowerCase()).toContain('connection: close');
  });

  it('releases the slot when a downstream middleware throws, leaving the error to Koa', async () => {
    const { receiver } = createTestReceiver();
    const { app, errors } = create();
    app.use(guard(receiver)).use(() => {
      throw new Error('route failed');
    });
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":1}');
    await response.arrayBuffer();

    expect(response.status).toBe(500);
    expect(errors.map((error) => error.message)).toEqual(['route failed']);
    await vi.waitFor(() => {
      expect(receiver.snapshot()).toMatchObject({ reserved: 0, counters: { released: 1 } });
    });
  });

  it('passes excluded paths through without a slot, matched against the path as received', async () => {
    const { receiver } = createTestReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
    await saturate(receiver);
    const { app } = create();
    app
      .use(async (ctx, next) => {
        // What koa-mount does for a sub-app mounted at /hooks.
        if (ctx.path.startsWith('/hooks/')) ctx.path = ctx.path.slice('/hooks'.length);
        await next();
      })
      .use(guard(receiver, { exclude: ['/hooks/health'] }))
      .use((ctx) => {
        let accessor = 'returned';
        try {
          slotOf(ctx);
        } catch (error) {
          accessor = (error as Error).message;
        }
        ctx.body = { path: ctx.path, slot: ctx.state.backpressure !== undefined, accessor };
      });
    const url = await serve(app);

    const health = await fetch(`${url}/hooks/health?probe=1`);
    const other = await fetch(`${url}/hooks/other`);
    await other.arrayBuffer();

    expect(await health.json()).toEqual({
      path: '/health',
      slot: false,
      accessor: expect.stringMatching(/^No backpressure slot/) as unknown,
    });
    expect(other.status).toBe(429);
  });

  it('reuses the slot granted while answering Expect: 100-continue', async () => {
    const test = createTestReceiver();
    const { app } = create();
    app
      .use(guard(test.receiver))
      .use(readJsonBody)
      .use(async (ctx) => {
        await slotOf<TestEvent>(ctx).enqueue((ctx.request as { body?: unknown }).body as TestEvent);
        ctx.status = 202;
      });
    const url = await serve(app, test.receiver);
    const socket = await openSocket(url);

    socket.write(postHead('/events', 8, ['Expect: 100-continue']));
    await readUntil(socket, (text) => text.includes('\r\n\r\n'));
    socket.write('{"id":4}');
    const reply = await readUntil(socket, (text) => text.includes('HTTP/1.1 202 '));
    socket.destroy();
    await test.receiver.onIdle();

    expect(reply).toMatch(/HTTP\/1\.1 202 /);
    expect(test.receiver.snapshot().counters).toMatchObject({ admitted: 1, enqueued: 1 });
    expect(test.processed.get(4)).toBe(1);
  });

  it('receives through the slot of an upstream guard instead of asking again', async () => {
    const test = createTestReceiver();
    const { app } = create();
    app.use(guard(test.receiver)).use(receive(test.receiver));
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":5}');
    await response.arrayBuffer();
    await test.receiver.onIdle();

    expect(response.status).toBe(202);
    expect(test.receiver.snapshot().counters).toMatchObject({ admitted: 1, enqueued: 1 });
  });

  it('receives a body an upstream parser already read', async () => {
    const test = createTestReceiver();
    const bodies: unknown[] = [];
    const { app } = create();
    app.use(readJsonBody).use(
      receive(test.receiver, {
        toEvent: (body) => {
          bodies.push(body);
          return body as TestEvent;
        },
      }),
    );
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":3}');
    await response.arrayBuffer();
    await test.receiver.onIdle();

    expect(response.status).toBe(202);
    expect(bodies).toEqual([{ id: 3 }]);
    expect(test.processed.get(3)).toBe(1);
  });

  it('answers 400 when toEvent throws, without raising a Koa error', async () => {
    const test = createTestReceiver();
    const { app, errors } = create();
    app.use(
      receive(test.receiver, {
        toEvent: () => {
          throw new Error('id must be a number');
        },
      }),
    );
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":"x"}');
    const problem = (await response.json()) as { detail: string };

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(problem.detail).toBe('Invalid event: id must be a number');
    expect(errors).toEqual([]);
    await vi.waitFor(() => {
      expect(test.receiver.snapshot()).toMatchObject({ reserved: 0, counters: { released: 1 } });
    });
  });

  it('answers the closing rejection when close() gives up during an upload', async () => {
    const test = createTestReceiver();
    const { app, errors } = create();
    app.use(receive(test.receiver));
    const url = await serve(app);
    const socket = await openSocket(url);

    socket.write(postHead('/events', 8) + '{"id"');
    await vi.waitFor(() => {
      expect(test.receiver.snapshot().reserved).toBe(1);
    });
    await test.receiver.close({ timeoutMs: 10 });
    socket.write(':6}');
    const reply = await readUntil(socket, (text) => text.includes('\r\n\r\n'));
    socket.destroy();

    expect(reply).toMatch(/^HTTP\/1\.1 503 /);
    expect(reply.toLowerCase()).toContain('connection: close');
    expect(test.receiver.snapshot().counters.enqueued).toBe(0);
    expect(errors).toEqual([]);
  });

  it('hands excluded paths to the next middleware from the receiver', async () => {
    const { receiver } = createTestReceiver();
    const { app } = create();
    app.use(receive(receiver, { exclude: ['/health'] })).use((ctx) => {
      ctx.body = 'ok';
    });
    const url = await serve(app);

    const response = await fetch(`${url}/health`);

    expect(await response.text()).toBe('ok');
    expect(receiver.snapshot().counters.admitted).toBe(0);
  });
});

describe('Koa adapter', () => {
  it('names the functions it returns, for readable stack traces', () => {
    const receiver = createBackpressure({ process: () => undefined });
    expect(guard(receiver).name).toBe('backpressureGuard');
    expect(receive(receiver).name).toBe('backpressureReceive');
    expect(statusRoute(receiver).name).toBe('backpressureStatus');
  });

  it('rejects invalid options when the middleware is created', () => {
    const receiver = createBackpressure({ process: () => undefined });
    expect(() => receive(receiver, { limitBytes: 0 })).toThrow(/`limitBytes`.*got number 0/);
    // @ts-expect-error exclude takes strings, patterns or a predicate
    expect(() => guard(receiver, { exclude: [42] })).toThrow(TypeError);
  });

  it('types the middleware, the state it adds and the slot accessor', () => {
    const receiver = createBackpressure<TestEvent>({ process: () => undefined });
    expectTypeOf(guard(receiver)).toEqualTypeOf<Middleware<BackpressureState<TestEvent>>>();
    expectTypeOf(receive(receiver)).toEqualTypeOf<Middleware<BackpressureState<TestEvent>>>();
    expectTypeOf(statusRoute(receiver)).toEqualTypeOf<Middleware>();
    expectTypeOf(slotOf<TestEvent>).returns.toEqualTypeOf<Slot<TestEvent>>();
    expectTypeOf<ReceiveOptions<TestEvent>>().toExtend<GuardOptions>();

    // The guard carries its state into an app whose state is already typed.
    new Koa<{ user: string }>().use(guard(receiver)).use((ctx) => {
      expectTypeOf(ctx.state.user).toEqualTypeOf<string>();
      expectTypeOf(ctx.state.backpressure).toEqualTypeOf<Slot<TestEvent> | undefined>();
    });

    // @ts-expect-error toEvent must produce the receiver's event type
    receive(receiver, { toEvent: () => 'not an event' });
    // @ts-expect-error readiness is a boolean
    statusRoute(receiver, { readiness: 'yes' });
    // @ts-expect-error slotOf reads a Koa context, which has a state
    expect(() => slotOf({})).toThrow();
  });
});
