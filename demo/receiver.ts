/**
 * The receiver process of the demo, started by the parent with `child_process.fork()` so that
 * the memory it reports is its own.
 *
 * It listens on 127.0.0.1 (a port chosen by the system), samples its own depth, gate and RSS
 * every `sampleEveryMs` and sends each sample to the parent. When the parent says the flood is
 * over, it waits for its workers to finish every accepted event, sends its report and exits.
 *
 * @module
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Ledger, type DemoReceiver } from './common.js';
import { createGuardedReceiver } from './guarded.js';
import type { DrainMessage, ReceiverMessage, ReceiverSettings, Sample } from './protocol.js';
import { createUnguardedReceiver } from './unguarded.js';

function send(message: ReceiverMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as ReceiverSettings;
  const ledger = new Ledger();
  const receiver: DemoReceiver =
    settings.mode === 'guarded'
      ? createGuardedReceiver(settings, ledger)
      : createUnguardedReceiver(settings, ledger);

  const server = createServer(receiver.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const startedAt = performance.now();
  const baselineRssBytes = process.memoryUsage.rss();
  let peakRssBytes = baselineRssBytes;
  const takeSample = (): Sample => {
    const rssBytes = process.memoryUsage.rss();
    peakRssBytes = Math.max(peakRssBytes, rssBytes);
    return {
      atMs: performance.now() - startedAt,
      ...receiver.state(),
      rssBytes,
      processed: ledger.processed,
    };
  };
  const sampler = setInterval(() => {
    send({ type: 'sample', sample: takeSample() });
  }, settings.sampleEveryMs);

  // An orphaned receiver must not outlive the demo; a finished one leaves on its own.
  let finished = false;
  process.on('disconnect', () => {
    if (!finished) process.exit(1);
  });
  process.on('message', (message: Partial<DrainMessage> | undefined) => {
    if (message?.type !== 'drain') return;

    void receiver.onIdle().then(() => {
      clearInterval(sampler);
      send({ type: 'sample', sample: takeSample() });
      send({
        type: 'report',
        report: {
          processedIds: ledger.processedIds,
          peakDepth: receiver.peakDepth,
          highWatermark: receiver.highWatermark,
          lowWatermark: receiver.lowWatermark,
          baselineRssBytes,
          peakRssBytes,
          p95DwellMs: ledger.dwellPercentileMs(0.95),
          maxDwellMs: ledger.dwellPercentileMs(1),
        },
      });
      finished = true;
      server.closeAllConnections();
      server.close();
      process.disconnect();
    });
  });

  send({ type: 'ready', port: (server.address() as AddressInfo).port });
}

void main();
