import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { OptionRangeError, OptionTypeError } from '../../src/index.js';
import { registerMetrics } from '../../src/metrics/prometheus.js';
import { fillUntilRejected, heldReceiver } from './held-receiver.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the sample lines of the Prometheus text format (label values here hold no quotes). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;

    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }

  return samples;
}

/** The value of the one sample with exactly this name and these labels. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter(
    (sample) =>
      sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted,
  );
  if (found.length !== 1) throw new Error(`expected one ${name} ${wanted}, found ${found.length}`);
  return found[0]!.value;
}

let registry: Registry;
let server: Server;
let url: string;

beforeEach(async () => {
  registry = new Registry();
  server = createServer((_request, response) => {
    registry.metrics().then(
      (text) => {
        response.setHeader('content-type', registry.contentType);
        response.end(text);
      },
      (error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const text = await response.text();
  return { text, samples: parseSamples(text) };
}

describe('registerMetrics', () => {
  it('publishes depth, in-flight and admission as the queue fills and drains', async () => {
    const { receiver, letGo } = heldReceiver();
    registerMetrics(receiver, { registry });

    let { samples } = await scrape();
    expect(valueOf(samples, 'backpressure_queue_depth')).toBe(0);
    expect(valueOf(samples, 'backpressure_queue_capacity')).toBe(10);
    expect(valueOf(samples, 'backpressure_queue_high_watermark')).toBe(4);
    expect(valueOf(samples, 'backpressure_queue_low_watermark')).toBe(2);
    expect(valueOf(samples, 'backpressure_accepting')).toBe(1);
    expect(valueOf(samples, 'backpressure_admitted_total')).toBe(0);
    expect(valueOf(samples, 'backpressure_dwell_seconds', { quantile: '0.95' })).toBeNaN();

    const admittedCount = await fillUntilRejected(receiver);
    ({ samples } = await scrape());
    expect(admittedCount).toBe(5);
    expect(valueOf(samples, 'backpressure_queue_depth')).toBe(4);
    expect(valueOf(samples, 'backpressure_queue_reserved')).toBe(0);
    expect(valueOf(samples, 'backpressure_in_flight')).toBe(1);
    expect(valueOf(samples, 'backpressure_accepting')).toBe(0);
    expect(valueOf(samples, 'backpressure_admitted_total')).toBe(5);
    expect(valueOf(samples, 'backpressure_rejected_total', { reason: 'saturated' })).toBe(1);
    expect(valueOf(samples, 'backpressure_processed_total')).toBe(0);

    letGo();
    await receiver.onIdle();
    ({ samples } = await scrape());
    expect(valueOf(samples, 'backpressure_queue_depth')).toBe(0);
    expect(valueOf(samples, 'backpressure_in_flight')).toBe(0);
    expect(valueOf(samples, 'backpressure_accepting')).toBe(1);
    expect(valueOf(samples, 'backpressure_processed_total')).toBe(5);
    expect(valueOf(samples, 'backpressure_admitted_total')).toBe(5);
    expect(valueOf(samples, 'backpressure_drain_rate_per_second')).toBeGreaterThan(0);
    for (const quantile of ['0.5', '0.95', '0.99']) {
      expect(valueOf(samples, 'backpressure_dwell_seconds', { quantile })).toBeGreaterThanOrEqual(
        0,
      );
      const processing = valueOf(samples, 'backpressure_processing_seconds', { quantile });
      expect(processing).toBeGreaterThanOrEqual(0);
    }

    await receiver.close();
  });

  it('counts rejections by reason, with every reason present from the start', async () => {
    const { receiver, letGo } = heldReceiver();
    registerMetrics(receiver, { registry });

    let { samples } = await scrape();
    const reasons = samples.filter((sample) => sample.name === 'backpressure_rejected_total');
    expect(reasons.map((sample) => sample.labels.reason).sort()).toEqual([
      'closing',
      'event_loop_delay',
      'event_loop_utilization',
      'heap_used',
      'queue_full',
      'rss',
      'saturated',
      'slow_consumer',
    ]);
    expect(reasons.every((sample) => sample.value === 0)).toBe(true);

    await fillUntilRejected(receiver);
    expect(receiver.tryAdmit().admitted).toBe(false);
    letGo();
    const closed = receiver.close();
    expect(receiver.tryAdmit().admitted).toBe(false);
    await closed;

    ({ samples } = await scrape());
    expect(valueOf(samples, 'backpressure_rejected_total', { reason: 'saturated' })).toBe(2);
    expect(valueOf(samples, 'backpressure_rejected_total', { reason: 'closing' })).toBe(1);
    expect(valueOf(samples, 'backpressure_rejected_total', { reason: 'queue_full' })).toBe(0);
  });

  it('counts retries and dead letters', async () => {
    const { receiver, letGo } = heldReceiver({ fail: (event) => event === 1 });
    registerMetrics(receiver, { registry });
    letGo();
    await receiver.push(0);
    await receiver.push(1);
    await receiver.onIdle();

    const { samples } = await scrape();
    expect(valueOf(samples, 'backpressure_processed_total')).toBe(1);
    expect(valueOf(samples, 'backpressure_retried_total')).toBe(1);
    expect(valueOf(samples, 'backpressure_dead_lettered_total')).toBe(1);
    await receiver.close();
  });

  it('declares counters as counters named _total and latencies in seconds', async () => {
    const { receiver } = heldReceiver();
    registerMetrics(receiver, { registry, prefix: 'orders_' });

    const { text } = await scrape();
    const types = new Map(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1]!, match[2]!]),
    );
    expect(types.get('orders_admitted_total')).toBe('counter');
    expect(types.get('orders_rejected_total')).toBe('counter');
    expect(types.get('orders_dead_lettered_total')).toBe('counter');
    expect(types.get('orders_queue_depth')).toBe('gauge');
    expect(types.get('orders_dwell_seconds')).toBe('gauge');
    expect(types.get('orders_processing_seconds')).toBe('gauge');
    for (const [name, type] of types) expect(name.endsWith('_total')).toBe(type === 'counter');
    await receiver.close();
  });

  it('keeps published counters monotonic across scrapes', async () => {
    const { receiver, letGo } = heldReceiver();
    registerMetrics(receiver, { registry });
    letGo();

    let previous = -1;
    for (let round = 0; round < 5; round++) {
      await receiver.push(round);
      const { samples } = await scrape();
      const admittedTotal = valueOf(samples, 'backpressure_admitted_total');
      expect(admittedTotal).toBeGreaterThan(previous);
      previous = admittedTotal;
    }

    await receiver.close();
  });

  it('takes one snapshot per receiver per scrape', async () => {
    const { receiver } = heldReceiver();
    registerMetrics(receiver, { registry });
    const snapshot = vi.spyOn(receiver, 'snapshot');

    await scrape();
    expect(snapshot).toHaveBeenCalledTimes(1);
    await scrape();
    expect(snapshot).toHaveBeenCalledTimes(2);
    await receiver.close();
  });

  it('tells receivers apart by their labels and removes each on dispose', async () => {
    const orders = heldReceiver();
    const refunds = heldReceiver();
    const disposeOrders = registerMetrics(orders.receiver, {
      registry,
      labels: { receiver: 'orders' },
    });
    const disposeRefunds = registerMetrics(refunds.receiver, {
      registry,
      labels: { receiver: 'refunds' },
    });
    await orders.receiver.push(1);
    await orders.receiver.push(2);

    let { samples } = await scrape();
    expect(valueOf(samples, 'backpressure_admitted_total', { receiver: 'orders' })).toBe(2);
    expect(valueOf(samples, 'backpressure_admitted_total', { receiver: 'refunds' })).toBe(0);
    expect(
      valueOf(samples, 'backpressure_dwell_seconds', { receiver: 'refunds', quantile: '0.5' }),
    ).toBeNaN();

    disposeOrders();
    disposeOrders();
    ({ samples } = await scrape());
    expect(samples.some((sample) => sample.labels.receiver === 'orders')).toBe(false);
    expect(valueOf(samples, 'backpressure_queue_depth', { receiver: 'refunds' })).toBe(0);

    disposeRefunds();
    expect(registry.getSingleMetric('backpressure_queue_depth')).toBeUndefined();
    expect((await scrape()).text.trim()).toBe('');
    orders.letGo();
    await Promise.all([orders.receiver.close(), refunds.receiver.close()]);
  });

  it('can register again on the same registry once disposed of', async () => {
    const { receiver } = heldReceiver();
    registerMetrics(receiver, { registry })();
    registerMetrics(receiver, { registry });

    const { samples } = await scrape();
    expect(valueOf(samples, 'backpressure_accepting')).toBe(1);
    await receiver.close();
  });

  it('recovers from a registry cleared behind its back', async () => {
    const { receiver } = heldReceiver();
    const disposeFirst = registerMetrics(receiver, { registry });
    registry.clear();
    registerMetrics(receiver, { registry });
    disposeFirst();

    const { samples } = await scrape();
    expect(valueOf(samples, 'backpressure_queue_capacity')).toBe(10);
    await receiver.close();
  });

  it('rejects bad options at registration, leaving the registry untouched', async () => {
    const { receiver } = heldReceiver();
    const bad = (options: unknown) => () =>
      registerMetrics(receiver, options as Parameters<typeof registerMetrics>[1]);

    expect(bad(undefined)).toThrow(OptionTypeError);
    expect(bad({ registry: {} })).toThrow(/`registry` to be a prom-client Registry/);
    expect(bad({ registry, prefix: 3 })).toThrow(OptionTypeError);
    expect(bad({ registry, prefix: '9lives_' })).toThrow(OptionRangeError);
    expect(bad({ registry, labels: { quantile: 'x' } })).toThrow(OptionRangeError);
    expect(bad({ registry, labels: { receiver: 1 } })).toThrow(/`labels.receiver` to be a string/);
    expect(() => registerMetrics({} as never, { registry })).toThrow(/`receiver`/);

    registerMetrics(receiver, { registry, labels: { receiver: 'a' } });
    expect(bad({ registry, labels: { receiver: 'a' } })).toThrow(/tell this receiver apart/);
    expect(bad({ registry, labels: { service: 'a' } })).toThrow(/label names .*\(receiver\)/);
    expect(bad({ registry })).toThrow(OptionRangeError);

    const other = new Registry();
    other.registerMetric(
      new (await import('prom-client')).Gauge({
        name: 'backpressure_accepting',
        help: 'taken',
        registers: [],
      }),
    );
    expect(bad({ registry: other })).toThrow(/backpressure_accepting is taken/);
    expect(other.getMetricsAsArray()).toHaveLength(1);
    await receiver.close();
  });
});
