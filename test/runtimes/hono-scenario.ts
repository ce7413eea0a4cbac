/**
 * One scenario for the Hono adapter, written against Web APIs only so that it runs unchanged on
 * Node, Bun, Deno and workerd: admit until saturated, then 429 with Retry-After; 202 again once
 * the queue drains; 400, 413 and 415 for bodies it cannot take; the status route; 503 once
 * shutdown begins. It throws on the first step that goes wrong and returns what it observed.
 */

import { Hono } from 'hono';

import { createBackpressure, type Backpressure } from '../../src/index.js';
import { guard, receive, statusRoute } from '../../src/adapters/hono.js';

export interface ScenarioEvent {
  id: number;
}

/** Sends one request to the app, in process or over HTTP. */
export type Send = (path: string, init?: RequestInit) => Promise<Response>;

/** The app under test and the handles the scenario needs on its receiver. */
export interface Scenario {
  app: Hono;
  receiver: Backpressure<ScenarioEvent>;
  processed: Map<number, number>;
  unblock: () => void;
}

/** What the scenario saw, for the caller to report. */
export interface Observations {
  acceptedBeforeSaturation: number;
  rejectedStatus: number;
  retryAfter: string | null;
  guardedWhileSaturated: number;
  afterDrain: number[];
  bodyErrors: number[];
  statusCapacity: unknown;
  processedOnce: boolean;
  closing: number[];
}

const json = { 'content-type': 'application/json' };

/** Builds the app: a receiver route, a guarded route and a status route on a small receiver. */
export function createScenario(): Scenario {
  const processed = new Map<number, number>();
  let unblock: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    unblock = resolve;
  });
  const receiver = createBackpressure<ScenarioEvent>({
    capacity: 8,
    highWatermark: 4,
    lowWatermark: 2,
    concurrency: 1,
    logger: { warn: () => undefined },
    process: async (event) => {
      await gate;
      processed.set(event.id, (processed.get(event.id) ?? 0) + 1);
    },
  });

  const app = new Hono();
  app.post('/receive', receive(receiver, { limitBytes: 256 }));
  app.post('/guarded', guard(receiver), async (c) => {
    await c.var.backpressure.enqueue(await c.req.json<ScenarioEvent>());
    return c.body(null, 202);
  });
  app.get('/status', statusRoute(receiver, { readiness: true }));
  return { app, receiver, processed, unblock };
}

/** Runs the scenario through `send`. Throws with what it saw when a step goes wrong. */
export async function runScenario(scenario: Scenario, send: Send): Promise<Observations> {
  const { receiver, processed } = scenario;
  const post = (path: string, body: string, headers: Record<string, string> = json) =>
    send(path, { method: 'POST', headers, body });
  const statusOf = async (response: Response): Promise<number> => {
    await response.arrayBuffer();
    return response.status;
  };

  // Admit until the gate closes; with capacity 8 it must close within nine requests.
  let rejected: Response | undefined;
  const accepted: number[] = [];
  for (let id = 1; id <= 9 && rejected === undefined; id++) {
    const response = await post('/receive', JSON.stringify({ id }));
    if (response.status === 202) {
      await response.arrayBuffer();
      accepted.push(id);
    } else {
      rejected = response;
    }
  }

  if (rejected === undefined) throw new Error(`never saturated: ${accepted.length} accepted`);
  const problem = (await rejected.json()) as { status?: number };
  const retryAfter = rejected.headers.get('retry-after');
  check(rejected.status === 429 && problem.status === 429, `rejection ${rejected.status}`);
  check(/^[1-9]\d*$/.test(retryAfter ?? ''), `Retry-After ${String(retryAfter)}`);
  check(accepted.length > 0, 'nothing accepted before saturation');
  const guardedWhileSaturated = await statusOf(await post('/guarded', '{"id":100}'));
  check(guardedWhileSaturated === 429, `guarded route answered ${guardedWhileSaturated}`);

  // Let the consumer drain; the gate reopens below the low watermark.
  scenario.unblock();
  await receiver.onIdle();
  const afterDrain = [
    await statusOf(await post('/receive', '{"id":200}')),
    await statusOf(await post('/guarded', '{"id":201}')),
  ];
  check(
    afterDrain.every((status) => status === 202),
    `after drain ${afterDrain.join(',')}`,
  );

  const bodyErrors = [
    await statusOf(await post('/receive', '{"id": 3')),
    await statusOf(await post('/receive', JSON.stringify({ id: 4, pad: 'x'.repeat(300) }))),
    await statusOf(await post('/receive', '{"id":5}', { 'content-type': 'text/plain' })),
  ];
  check(bodyErrors.join() === '400,413,415', `body errors ${bodyErrors.join(',')}`);

  const status = await send('/status');
  const snapshot = (await status.json()) as { capacity?: unknown; reserved?: unknown };
  check(status.status === 200 && snapshot.reserved === 0, `status ${status.status}`);

  await receiver.onIdle();
  const expected = [...accepted, 200, 201];
  const processedOnce =
    processed.size === expected.length && expected.every((eventId) => processed.get(eventId) === 1);
  check(processedOnce, `processed ${JSON.stringify([...processed])}`);

  // Shutdown: new requests and readiness both get 503.
  await receiver.close({ timeoutMs: 1_000 });
  const closing = [
    await statusOf(await post('/receive', '{"id":300}')),
    await statusOf(await send('/status')),
  ];
  check(closing.join() === '503,503', `while closing ${closing.join(',')}`);

  return {
    acceptedBeforeSaturation: accepted.length,
    rejectedStatus: rejected.status,
    retryAfter,
    guardedWhileSaturated,
    afterDrain,
    bodyErrors,
    statusCapacity: snapshot.capacity,
    processedOnce,
    closing,
  };
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`scenario failed: ${message}`);
}
