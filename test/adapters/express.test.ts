import type { Server } from 'node:http';

import express, { type ErrorRequestHandler, type Express } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';

import { BoundedQueue, createBackpressure, type Backpressure, type Slot } from '../../src/index.js';
import {
  guard,
  handleExpectContinue,
  receive,
  slotOf,
  statusRoute,
  type ExpressHandler,
  type ReceiveOptions,
} from '../../src/adapters/express.js';
import { closeServer, started } from '../support/listen.js';
import { describeAdapterContract, type StartedServer } from '../support/contract.js';
import { createTestReceiver, saturate, type TestEvent } from '../support/receivers.js';

const routeOptions = { exclude: ['/health'] };

// The two fixtures differ only in which Express they import: each one type-checks the adapter's
// handlers against that version's own `app.post()` and `Router`.
function express5App(receiver: Backpressure<TestEvent>): Express {
  const app = express();
  app.post('/receive', receive(receiver, { ...routeOptions, limitBytes: 1024 }));
  app.post('/guarded', guard(receiver, routeOptions), express.json(), (req, res, next) => {
    slotOf<TestEvent>(res)
      .enqueue(req.body as TestEvent)
      .then(() => res.status(202).json({ accepted: true }), next);
  });
  app.get('/health', (_req, res) => res.send('ok'));
  app.get('/status', statusRoute(receiver, { readiness: true }));
  return app;
}

function express4App(receiver: Backpressure<TestEvent>): express4.Express {
  const app = express4();
  const router = express4.Router();
  router.post('/receive', receive(receiver, { ...routeOptions, limitBytes: 1024 }));
  router.post('/guarded', guard(receiver, routeOptions), express4.json(), (req, res, next) => {
    slotOf<TestEvent>(res)
      .enqueue(req.body as TestEvent)
      .then(() => res.status(202).json({ accepted: true }), next);
  });
  router.get('/health', (_req, res) => res.send('ok'));
  router.get('/status', statusRoute(receiver, { readiness: true }));
  app.use(router);
  return app;
}

/** Listens through `app.listen()`, as applications do, and hooks `Expect: 100-continue` there. */
async function listen(
  app: Express | express4.Express,
  receiver: Backpressure<TestEvent>,
): Promise<StartedServer> {
  const server = app.listen(0, '127.0.0.1');
  handleExpectContinue(server, receiver, routeOptions);
  return started(server);
}

describeAdapterContract('Express 5', {
  start: (receiver) => listen(express5App(receiver), receiver),
  handlesExpectContinue: true,
});

describeAdapterContract('Express 4', {
  start: (receiver) => listen(express4App(receiver), receiver),
  handlesExpectContinue: true,
});

/** Answers an error passed to `next()` with 502 and its message, so tests can see it arrived. */
// Express tells an error handler by its four parameters, so the unused `next` must stay.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const reportError: ErrorRequestHandler = (error: Error, _req, res, _next) => {
  res.status(502).json({ error: error.message });
};

/** Both versions behave alike at run time; the fixtures above check each one's types. */
const versions = [
  {
    version: 'Express 5',
    create: (): Express => express(),
    json: express.json,
    form: express.urlencoded,
  },
  {
    version: 'Express 4',
    create: () => express4() as unknown as Express,
    json: express4.json,
    form: express4.urlencoded,
  },
];

describe.each(versions)('$version adapter', ({ create, json, form }) => {
  const servers: Server[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) await closeServer(server);
  });

  async function serve(app: Express): Promise<string> {
    app.use(reportError);
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    return (await started(server)).url;
  }

  function post(url: string, body: string, type = 'application/json'): Promise<Response> {
    return fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
  }

  it('leaves the reserved slot in res.locals.backpressure for the route', async () => {
    const { receiver } = createTestReceiver();
    const app = create();
    let seen: unknown;
    app.post('/events', guard(receiver), (_req, res) => {
      seen = res.locals.backpressure;
      res.json({ state: slotOf<TestEvent>(res).state, same: slotOf(res) === seen });
    });
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":1}');

    expect(await response.json()).toEqual({ state: 'reserved', same: true });
    await vi.waitFor(() => {
      expect(receiver.snapshot()).toMatchObject({ reserved: 0, counters: { released: 1 } });
    });
  });

  it('answers a rejection itself and never calls the next handler', async () => {
    const { receiver } = createTestReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
    await saturate(receiver);
    const app = create();
    let reached = false;
    app.post('/events', guard(receiver), () => {
      reached = true;
    });
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":1}');
    await response.arrayBuffer();

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(reached).toBe(false);
  });

  it('matches exclusions against the full path inside a mounted router', async () => {
    const { receiver } = createTestReceiver({ highWatermark: 2, lowWatermark: 1, blocked: true });
    await saturate(receiver);
    const app = create();
    const router = express.Router();
    router.use(guard(receiver, { exclude: ['/hooks/health'] }));
    router.get('/health', (_req, res) => res.send('ok'));
    router.get('/other', (_req, res) => res.send('ok'));
    app.use('/hooks', router);
    const url = await serve(app);

    const health = await fetch(`${url}/hooks/health?probe=1`);
    const other = await fetch(`${url}/hooks/other`);
    await Promise.all([health.arrayBuffer(), other.arrayBuffer()]);

    expect(health.status).toBe(200);
    expect(other.status).toBe(429);
  });

  it('receives a body an upstream express.json() already parsed', async () => {
    const test = createTestReceiver();
    const bodies: unknown[] = [];
    const app = create();
    app.use(json());
    app.post(
      '/events',
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

  it('reads the body itself when an upstream parser passed over it', async () => {
    const test = createTestReceiver();
    const app = create();
    // Express 4's parsers set `req.body = {}` on the requests they skip.
    app.use(form({ extended: false }));
    app.post('/events', receive(test.receiver));
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":6}');
    await response.arrayBuffer();
    await test.receiver.onIdle();

    expect(response.status).toBe(202);
    expect(test.processed.get(6)).toBe(1);
  });

  it('answers 415 for a non-JSON body an upstream parser passed over', async () => {
    const { receiver } = createTestReceiver();
    const app = create();
    app.use(json());
    app.post('/events', receive(receiver));
    const url = await serve(app);

    const response = await post(`${url}/events`, 'id=1', 'application/x-www-form-urlencoded');
    await response.arrayBuffer();

    expect(response.status).toBe(415);
    expect(receiver.snapshot()).toMatchObject({ reserved: 0, counters: { enqueued: 0 } });
  });

  it('reuses the slot of an upstream guard instead of reserving a second one', async () => {
    const test = createTestReceiver();
    const app = create();
    app.use(guard(test.receiver, { exclude: ['/health'] }));
    app.post('/events', receive(test.receiver));
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":4}');
    await response.arrayBuffer();
    await test.receiver.onIdle();

    expect(response.status).toBe(202);
    expect(test.receiver.snapshot().counters).toMatchObject({ admitted: 1, enqueued: 1 });
  });

  it('passes an excluded path on to the next handler', async () => {
    const { receiver } = createTestReceiver();
    const app = create();
    app.use(receive(receiver, { exclude: ['/health'] }));
    app.get('/health', (_req, res) => res.send('ok'));
    const url = await serve(app);

    const response = await fetch(`${url}/health`);

    expect(await response.text()).toBe('ok');
    expect(receiver.snapshot().counters.admitted).toBe(0);
  });

  it('hands a failure that is not about the body to the Express error handler', async () => {
    const { receiver } = createTestReceiver({ capacity: 10, queue: new UnavailableQueue() });
    const app = create();
    app.post('/events', receive(receiver));
    const url = await serve(app);

    const response = await post(`${url}/events`, '{"id":5}');

    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: 'backend unavailable' });
  });
});

/** A shared queue whose backend fails every write. */
class UnavailableQueue extends BoundedQueue<TestEvent> {
  constructor() {
    super({ capacity: 10 });
  }

  override enqueueReserved(): void {
    throw new Error('backend unavailable');
  }
}

describe('Express adapter', () => {
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

  it('explains that the guard is missing when a route asks for a slot without one', () => {
    expect(() => slotOf({ locals: {} })).toThrow(/put guard\(receiver\) before this handler/);
    expect(() => slotOf({ locals: { backpressure: 'slot' } })).toThrow(/guard\(receiver\)/);
  });

  it('types the slot by event type and fits the handlers of both Express versions', () => {
    const receiver = createBackpressure<TestEvent>({ process: () => undefined });
    const res = { locals: {} };
    expectTypeOf(guard(receiver)).toEqualTypeOf<ExpressHandler>();
    expectTypeOf(receive(receiver)).toEqualTypeOf<ExpressHandler>();
    expectTypeOf(slotOf<TestEvent>).returns.toEqualTypeOf<Slot<TestEvent>>();
    expectTypeOf(guard(receiver)).toExtend<express.RequestHandler>();
    expectTypeOf(guard(receiver)).toExtend<express4.RequestHandler>();
    expectTypeOf(handleExpectContinue).parameter(0).toEqualTypeOf<Server>();

    const options: ReceiveOptions<TestEvent> = { toEvent: (body) => body as TestEvent };
    expectTypeOf(receive(receiver, options)).toEqualTypeOf<ExpressHandler>();
    // @ts-expect-error toEvent must produce the receiver's event type
    receive(receiver, { toEvent: () => 'not an event' });
    expect(() =>
      // @ts-expect-error the event type of the slot is checked on enqueue
      slotOf<TestEvent>(res).enqueue({ name: 'x' }),
    ).toThrow(/guard\(receiver\)/);
    // @ts-expect-error readiness is a boolean
    statusRoute(receiver, { readiness: 'yes' });
  });
});
