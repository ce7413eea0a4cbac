import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { describe, expect, expectTypeOf, it } from 'vitest';

import { createBackpressure, type Slot } from '../../src/index.js';
import { guard, receive, statusRoute, type NodeGuardResult } from '../../src/adapters/node.js';
import { readNodeBody } from '../../src/node/request.js';
import { started } from '../support/listen.js';
import { describeAdapterContract, type StartedServer } from '../support/contract.js';
import type { TestEvent } from '../support/receivers.js';

describeAdapterContract('node:http', {
  async start(receiver): Promise<StartedServer> {
    const options = { exclude: ['/health'] };
    const receiveRoute = receive(receiver, { ...options, limitBytes: 1024 });
    const admit = guard(receiver, options);
    const status = statusRoute(receiver, { readiness: true });

    const server = createServer((req, res) => {
      if (req.url === '/receive') {
        receiveRoute(req, res);
      } else if (req.url === '/guarded') {
        void guarded(req, res);
      } else if (req.url === '/status') {
        status(req, res);
      } else {
        res.writeHead(200).end('ok');
      }
    });

    async function guarded(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const slot = admit(req, res);
      if (slot === undefined || slot === 'excluded') return;

      const body = await readNodeBody(req, 1024).catch(() => undefined);
      if (body === undefined) return;
      await slot.enqueue(JSON.parse(new TextDecoder().decode(body)) as TestEvent);
      res.writeHead(202).end();
    }

    return started(server.listen(0, '127.0.0.1'));
  },
});

describe('node:http adapter', () => {
  it('names the functions it returns, for readable stack traces', () => {
    const receiver = createBackpressure({ process: () => undefined });
    expect(guard(receiver).name).toBe('backpressureGuard');
    expect(receive(receiver).name).toBe('backpressureReceive');
    expect(statusRoute(receiver).name).toBe('backpressureStatus');
  });

  it('rejects invalid options when the route is created', () => {
    const receiver = createBackpressure({ process: () => undefined });
    expect(() => receive(receiver, { limitBytes: 0 })).toThrow(/`limitBytes`.*got number 0/);
    // @ts-expect-error exclude takes strings, patterns or a predicate
    expect(() => guard(receiver, { exclude: [42] })).toThrow(TypeError);
  });

  it('types the guard result as a slot of the receiver event type', () => {
    const receiver = createBackpressure<TestEvent>({ process: () => undefined });
    expectTypeOf(guard(receiver)).returns.toEqualTypeOf<NodeGuardResult<TestEvent>>();
    expectTypeOf<Extract<NodeGuardResult<TestEvent>, object>>().toEqualTypeOf<Slot<TestEvent>>();
  });
});
