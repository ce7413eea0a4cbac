import { metrics, type Attributes } from '@opentelemetry/api';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { OptionRangeError, OptionTypeError } from '../../src/index.js';
import { registerOtelMetrics } from '../../src/metrics/otel.js';
import { fillUntilRejected, heldReceiver } from './held-receiver.js';

/** A reader that collects only when the test asks. */
class OnDemandReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

let reader: OnDemandReader;
let provider: MeterProvider;

beforeEach(() => {
  reader = new OnDemandReader();
  provider = new MeterProvider({ readers: [reader] });
});

afterEach(async () => {
  await provider.shutdown();
});

async function collect(): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const byName = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
  }

  return byName;
}

/** The value of the one data point of `name` with exactly these attributes. */
function valueOf(
  collected: Map<string, MetricData>,
  name: string,
  attributes: Attributes = {},
): number {
  const metric = collected.get(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);

  const wanted = JSON.stringify(Object.entries(attributes).sort());
  const points = (metric.dataPoints as { attributes: Attributes; value: unknown }[]).filter(
    (point) => JSON.stringify(Object.entries(point.attributes).sort()) === wanted,
  );
  if (points.length !== 1) throw new Error(`expected one ${name} ${wanted}, got ${points.length}`);
  return points[0]!.value as number;
}

function pointCount(collected: Map<string, MetricData>, name: string): number {
  return collected.get(name)?.dataPoints.length ?? 0;
}

describe('registerOtelMetrics', () => {
  it('reports depth, in-flight and admission as the queue fills and drains', async () => {
    const { receiver, letGo } = heldReceiver();
    registerOtelMetrics(receiver, { meter: provider.getMeter('test') });

    let collected = await collect();
    expect(valueOf(collected, 'backpressure.queue.depth')).toBe(0);
    expect(valueOf(collected, 'backpressure.queue.capacity')).toBe(10);
    expect(valueOf(collected, 'backpressure.accepting')).toBe(1);
    expect(valueOf(collected, 'backpressure.requests.admitted')).toBe(0);
    expect(pointCount(collected, 'backpressure.dwell.duration')).toBe(0);

    await fillUntilRejected(receiver);
    collected = await collect();
    expect(valueOf(collected, 'backpressure.queue.depth')).toBe(4);
    expect(valueOf(collected, 'backpressure.in_flight')).toBe(1);
    expect(valueOf(collected, 'backpressure.accepting')).toBe(0);
    expect(valueOf(collected, 'backpressure.requests.admitted')).toBe(5);
    expect(valueOf(collected, 'backpressure.requests.rejected', { reason: 'saturated' })).toBe(1);

    letGo();
    await receiver.onIdle();
    collected = await collect();
    expect(valueOf(collected, 'backpressure.queue.depth')).toBe(0);
    expect(valueOf(collected, 'backpressure.in_flight')).toBe(0);
    expect(valueOf(collected, 'backpressure.accepting')).toBe(1);
    expect(valueOf(collected, 'backpressure.events.processed')).toBe(5);
    expect(valueOf(collected, 'backpressure.drain.rate')).toBeGreaterThan(0);
    for (const quantile of [0.5, 0.95, 0.99]) {
      expect(
        valueOf(collected, 'backpressure.dwell.duration', { quantile }),
      ).toBeGreaterThanOrEqual(0);
      const processing = valueOf(collected, 'backpressure.processing.duration', { quantile });
      expect(processing).toBeGreaterThanOrEqual(0);
    }

    await receiver.close();
  });

  it('counts rejections by reason, retries and dead letters', async () => {
    const { receiver, letGo } = heldReceiver({ fail: (event) => event === 0 });
    registerOtelMetrics(receiver, { meter: provider.getMeter('test') });

    await fillUntilRejected(receiver);
    letGo();
    const closed = receiver.close();
    receiver.tryAdmit();
    await closed;

    const collected = await collect();
    const rejected = 'backpressure.requests.rejected';
    expect(valueOf(collected, rejected, { reason: 'saturated' })).toBe(1);
    expect(valueOf(collected, rejected, { reason: 'closing' })).toBe(1);
    expect(valueOf(collected, rejected, { reason: 'heap_used' })).toBe(0);
    expect(pointCount(collected, rejected)).toBe(8);
    expect(valueOf(collected, 'backpressure.events.retried')).toBe(1);
    expect(valueOf(collected, 'backpressure.events.dead_lettered')).toBe(1);
    expect(valueOf(collected, 'backpressure.events.processed')).toBe(4);
  });

  it('picks instrument kinds and units by what each figure means', async () => {
    const { receiver, letGo } = heldReceiver();
    registerOtelMetrics(receiver, { meter: provider.getMeter('test'), prefix: 'orders.' });
    letGo();
    await receiver.push(1);
    await receiver.onIdle();

    const collected = await collect();
    const kind = (name: string): string => {
      const metric = collected.get(`orders.${name}`)!;
      if (metric.dataPointType === DataPointType.GAUGE) return 'gauge';
      if (metric.dataPointType !== DataPointType.SUM) return 'other';
      return metric.isMonotonic ? 'counter' : 'up-down counter';
    };
    const unit = (name: string) => collected.get(`orders.${name}`)!.descriptor.unit;

    expect(kind('queue.depth')).toBe('up-down counter');
    expect(kind('in_flight')).toBe('up-down counter');
    expect(kind('accepting')).toBe('gauge');
    expect(kind('drain.rate')).toBe('gauge');
    expect(kind('requests.admitted')).toBe('counter');
    expect(kind('requests.rejected')).toBe('counter');
    expect(kind('events.dead_lettered')).toBe('counter');
    expect(unit('queue.depth')).toBe('{event}');
    expect(unit('requests.admitted')).toBe('{request}');
    expect(unit('drain.rate')).toBe('{event}/s');
    expect(unit('dwell.duration')).toBe('s');
    expect(unit('processing.duration')).toBe('s');
    await receiver.close();
  });

  it('takes one snapshot per collection', async () => {
    const { receiver } = heldReceiver();
    registerOtelMetrics(receiver, { meter: provider.getMeter('test') });
    const snapshot = vi.spyOn(receiver, 'snapshot');

    await collect();
    expect(snapshot).toHaveBeenCalledTimes(1);
    await receiver.close();
  });

  it('tells receivers apart by their attributes and stops reading one once disposed of', async () => {
    const meter = provider.getMeter('test');
    const orders = heldReceiver();
    const refunds = heldReceiver();
    const disposeOrders = registerOtelMetrics(orders.receiver, {
      meter,
      attributes: { receiver: 'orders' },
    });
    registerOtelMetrics(refunds.receiver, { meter, attributes: { receiver: 'refunds' } });
    await orders.receiver.push(1);

    let collected = await collect();
    const admitted = 'backpressure.requests.admitted';
    expect(valueOf(collected, admitted, { receiver: 'orders' })).toBe(1);
    expect(valueOf(collected, admitted, { receiver: 'refunds' })).toBe(0);

    disposeOrders();
    disposeOrders();
    const ordersSnapshot = vi.spyOn(orders.receiver, 'snapshot');
    await orders.receiver.push(2);
    await refunds.receiver.push(1);
    collected = await collect();
    // The SDK may repeat the last cumulative value of a series no longer observed; it no longer
    // moves, and the receiver is no longer read.
    expect(valueOf(collected, admitted, { receiver: 'orders' })).toBe(1);
    expect(valueOf(collected, admitted, { receiver: 'refunds' })).toBe(1);
    expect(ordersSnapshot).not.toHaveBeenCalled();
    orders.letGo();
    refunds.letGo();
    await Promise.all([orders.receiver.close(), refunds.receiver.close()]);
  });

  it('uses the global meter provider when no meter is given', async () => {
    metrics.setGlobalMeterProvider(provider);
    const { receiver } = heldReceiver();
    try {
      const dispose = registerOtelMetrics(receiver);
      expect(valueOf(await collect(), 'backpressure.queue.capacity')).toBe(10);
      dispose();
      const snapshot = vi.spyOn(receiver, 'snapshot');
      await collect();
      expect(snapshot).not.toHaveBeenCalled();
    } finally {
      metrics.disable();
      await receiver.close();
    }
  });

  it('rejects bad options at registration', async () => {
    const { receiver } = heldReceiver();
    const meter = provider.getMeter('test');
    const bad = (options: unknown) => () =>
      registerOtelMetrics(receiver, options as Parameters<typeof registerOtelMetrics>[1]);

    expect(bad(null)).toThrow(OptionTypeError);
    expect(bad({ meter: {} })).toThrow(/`meter` to be an OpenTelemetry Meter/);
    expect(bad({ meter, prefix: 1 })).toThrow(OptionTypeError);
    expect(bad({ meter, prefix: '.orders' })).toThrow(OptionRangeError);
    expect(bad({ meter, attributes: { reason: 'x' } })).toThrow(OptionRangeError);
    expect(bad({ meter, attributes: { receiver: {} } })).toThrow(/`attributes.receiver`/);
    expect(() => registerOtelMetrics(undefined as never, { meter })).toThrow(/`receiver`/);
    expect(await collect()).toEqual(new Map());
    await receiver.close();
  });
});
