/**
 * The unguarded receiver, for contrast: the same slow workers behind an unbounded array. It
 * answers 202 to every request, so during a spike its queue, and the memory holding it, grow
 * with the flood instead of with its capacity.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import { toDemoEvent, work, type DemoEvent, type DemoReceiver, type Ledger } from './common.js';
import type { ReceiverSettings } from './protocol.js';

interface Waiting {
  readonly event: DemoEvent;
  readonly enqueuedAt: number;
}

/**
 * Builds the unguarded receiver: read the whole body, parse it, push it, answer 202.
 *
 * @example
 * const receiver = createUnguardedReceiver(settings, new Ledger());
 */
export function createUnguardedReceiver(settings: ReceiverSettings, ledger: Ledger): DemoReceiver {
  const queue: Waiting[] = [];
  const idleWaiters: (() => void)[] = [];
  let running = 0;
  let peakDepth = 0;

  const settleIfIdle = (): void => {
    if (queue.length > 0 || running > 0) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const pump = (): void => {
    while (running < settings.workers && queue.length > 0) {
      const next = queue.shift()!;
      running++;
      void work(settings.workMs).then(() => {
        ledger.record(next.event.id, performance.now() - next.enqueuedAt);
        running--;
        pump();
        settleIfIdle();
      });
    }
  };

  const accept = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    let event: DemoEvent;
    try {
      event = toDemoEvent(JSON.parse(body.toString('utf8')));
    } catch {
      res.writeHead(400).end();
      return;
    }

    queue.push({ event, enqueuedAt: performance.now() });
    peakDepth = Math.max(peakDepth, queue.length);
    pump();
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
  };

  return {
    listener(req, res) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        accept(req, res, Buffer.concat(chunks));
      });
    },
    highWatermark: 0,
    lowWatermark: 0,
    state: () => ({
      depth: queue.length,
      accepting: true,
      pausedBy: undefined,
      drainRatePerSecond: 0,
    }),
    get peakDepth() {
      return peakDepth;
    },
    onIdle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIfIdle();
      });
    },
  };
}
