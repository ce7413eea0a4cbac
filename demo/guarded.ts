/**
 * The guarded receiver: the node:http adapter's `receive()` in front of a bounded queue, a
 * hysteresis gate and slow workers. It answers 202 while there is room and 429 with a
 * `Retry-After` once the queue reaches its high watermark.
 *
 * @module
 */

import { receive, statusRoute } from '../src/adapters/node.js';
import { BoundedQueue, createBackpressure } from '../src/index.js';
import { toDemoEvent, work, type DemoEvent, type DemoReceiver, type Ledger } from './common.js';
import type { ReceiverSettings } from './protocol.js';

/**
 * Builds the guarded receiver. `POST` anywhere queues the JSON body; `GET /status` serves the
 * snapshot.
 *
 * @example
 * const receiver = createGuardedReceiver(settings, new Ledger());
 * createServer(receiver.listener).listen(0, '127.0.0.1');
 */
export function createGuardedReceiver(settings: ReceiverSettings, ledger: Ledger): DemoReceiver {
  // The queue is passed in only so that its depth can be read cheaply after every admission.
  const queue = new BoundedQueue<DemoEvent>({ capacity: settings.capacity });
  const receiver = createBackpressure<DemoEvent>({
    queue,
    highWatermark: settings.highWatermark,
    lowWatermark: settings.lowWatermark,
    concurrency: settings.workers,
    process: async (event, { dwellMs }) => {
      await work(settings.workMs);
      ledger.record(event.id, dwellMs);
    },
  });

  const webhooks = receive(receiver, { toEvent: toDemoEvent });
  const status = statusRoute(receiver);
  let peakDepth = 0;

  return {
    listener(req, res) {
      if (req.method === 'GET' && req.url === '/status') {
        status(req, res);
        return;
      }

      // Admission happens synchronously inside the listener, so the depth right after it is the
      // highest this request could have caused.
      webhooks(req, res);
      peakDepth = Math.max(peakDepth, queue.depth);
    },
    highWatermark: receiver.highWatermark,
    lowWatermark: receiver.lowWatermark,
    state() {
      const snapshot = receiver.snapshot();
      return {
        depth: snapshot.depth,
        accepting: snapshot.accepting,
        pausedBy: snapshot.pausedBy,
        drainRatePerSecond: snapshot.drainRatePerSecond,
      };
    },
    get peakDepth() {
      return peakDepth;
    },
    onIdle: () => receiver.onIdle(),
  };
}
