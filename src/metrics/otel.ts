/**
 * OpenTelemetry metrics for a receiver, through `@opentelemetry/api`.
 *
 * All instruments are asynchronous: one batch callback takes a single `snapshot()` per collection
 * and observes every instrument from it, so the request path does no metrics work. Only the
 * metrics API of `@opentelemetry/api` 1.3 and later is used (observable instruments and batch
 * callbacks), which every 1.x release since has kept unchanged.
 *
 * @module
 */

import {
  metrics,
  type Attributes,
  type BatchObservableResult,
  type Meter,
  type Observable,
} from '@opentelemetry/api';

import { OptionRangeError, OptionTypeError } from '../core/errors.js';
import type { Disposer } from '../core/listeners.js';
import type { BackpressureSnapshot } from '../core/receiver.js';
import { object } from '../core/validate.js';
import {
  latencies,
  levels,
  quantiles,
  rejected,
  rejectionReasons,
  totals,
  type SnapshotSource,
} from './readings.js';

export type { SnapshotSource } from './readings.js';

/** Options of {@link registerOtelMetrics}. */
export interface OtelMetricsOptions {
  /**
   * The meter to create the instruments on.
   * @default metrics.getMeter('backpressure'), from the global meter provider
   */
  meter?: Meter;
  /**
   * Prepended to every instrument name.
   * @default 'backpressure.'
   */
  prefix?: string;
  /**
   * Attributes on every measurement. Give each receiver distinct values to report several through
   * one meter; two receivers with equal attributes would overwrite each other's measurements.
   * @default {}
   * @example { 'backpressure.receiver': 'orders' }
   */
  attributes?: Attributes;
}

type Observe = (result: BatchObservableResult, snapshot: BackpressureSnapshot) => void;

const instrumentPrefix = /^(?:[A-Za-z][\w./-]*)?$/;
// Attributes this module sets itself on some instruments.
const reservedAttributes = new Set(['quantile', 'reason']);

/**
 * Creates observable instruments for `receiver` on an OpenTelemetry meter, and returns a disposer
 * that removes their callback.
 *
 * Created, with the default prefix: up-down counters `backpressure.queue.depth`,
 * `.queue.reserved`, `.queue.capacity` and `.in_flight`; gauges `.queue.high_watermark`,
 * `.queue.low_watermark`, `.accepting` (0 or 1), `.drain.rate` (`{event}/s`),
 * `.dwell.duration` and `.processing.duration` (seconds, attribute `quantile` of 0.5, 0.95 and
 * 0.99, not observed until enough samples exist); counters `.requests.admitted`,
 * `.requests.rejected` (attribute `reason`), `.events.processed`, `.events.retried` and
 * `.events.dead_lettered`.
 *
 * @example
 * import { registerOtelMetrics } from 'backpressure/otel';
 *
 * const dispose = registerOtelMetrics(receiver, {
 *   attributes: { 'backpressure.receiver': 'orders' },
 * });
 * // later, when the receiver is gone:
 * dispose();
 */
export function registerOtelMetrics(
  receiver: SnapshotSource,
  options: OtelMetricsOptions = {},
): Disposer {
  if (typeof (receiver as Partial<SnapshotSource> | null)?.snapshot !== 'function') {
    throw new OptionTypeError('receiver', 'a receiver with a snapshot() method', receiver);
  }

  const parsed = object('options', options);
  const meter = parseMeter(parsed.meter) ?? metrics.getMeter('backpressure');
  const prefix = parsePrefix(parsed.prefix);
  const attributes = parseAttributes(parsed.attributes);

  const observables: Observable[] = [];
  const observers: Observe[] = [];
  const track = (observable: Observable, observe: Observe): void => {
    observables.push(observable);
    observers.push(observe);
  };

  for (const level of levels) {
    const name = prefix + level.otel;
    const described = { description: level.description, unit: level.unit };
    // Additive figures are up-down counters, so that a backend may sum them across receivers.
    const instrument = level.additive
      ? meter.createObservableUpDownCounter(name, described)
      : meter.createObservableGauge(name, described);
    track(instrument, (result, snapshot) => {
      result.observe(instrument, level.read(snapshot), attributes);
    });
  }

  for (const latency of latencies) {
    const described = { description: latency.description, unit: 's' };
    const instrument = meter.createObservableGauge(prefix + latency.otel, described);
    // Built once: a collection allocates no attribute objects.
    const byQuantile = quantiles.map(({ quantile, field }) => ({
      field,
      attributes: { ...attributes, quantile },
    }));
    track(instrument, (result, snapshot) => {
      const summary = latency.read(snapshot);
      for (const { field, attributes: quantileAttributes } of byQuantile) {
        const ms = summary[field];
        // An unknown quantile is left out: OpenTelemetry has no "not enough samples" value.
        if (ms !== undefined) result.observe(instrument, ms / 1_000, quantileAttributes);
      }
    });
  }

  for (const total of totals) {
    const described = { description: total.description, unit: total.unit };
    const instrument = meter.createObservableCounter(prefix + total.otel, described);
    track(instrument, (result, snapshot) => {
      result.observe(instrument, total.read(snapshot.counters), attributes);
    });
  }

  const described = { description: rejected.description, unit: rejected.unit };
  const rejections = meter.createObservableCounter(prefix + rejected.otel, described);
  const byReason = rejectionReasons.map((reason) => ({
    reason,
    attributes: { ...attributes, reason },
  }));
  track(rejections, (result, snapshot) => {
    const counts = snapshot.counters.rejectedByReason;
    for (const { reason, attributes: reasonAttributes } of byReason) {
      result.observe(rejections, counts[reason] ?? 0, reasonAttributes);
    }
  });

  const collect = (result: BatchObservableResult): void => {
    const snapshot = receiver.snapshot();
    for (const observe of observers) observe(result, snapshot);
  };
  meter.addBatchObservableCallback(collect, observables);

  let disposed = false;
  return function disposeOtelMetrics(): void {
    if (disposed) return;

    disposed = true;
    meter.removeBatchObservableCallback(collect, observables);
  };
}

function parseMeter(value: unknown): Meter | undefined {
  if (value === undefined) return undefined;

  const meter = value as Partial<Meter> | null | undefined;
  if (
    typeof meter?.createObservableGauge !== 'function' ||
    typeof meter.addBatchObservableCallback !== 'function'
  ) {
    throw new OptionTypeError('meter', 'an OpenTelemetry Meter', value);
  }

  return value as Meter;
}

function parsePrefix(value: unknown): string {
  if (value === undefined) return 'backpressure.';
  if (typeof value !== 'string') throw new OptionTypeError('prefix', 'a string', value);
  if (!instrumentPrefix.test(value)) {
    throw new OptionRangeError(
      'prefix',
      'letters, digits, `_`, `.`, `-` and `/`, led by a letter',
      value,
    );
  }

  return value;
}

function parseAttributes(value: unknown): Attributes {
  const attributes = object('attributes', value);
  for (const [key, attribute] of Object.entries(attributes)) {
    if (reservedAttributes.has(key)) {
      throw new OptionRangeError('attributes', 'keys other than `reason` and `quantile`', key);
    }

    const type = typeof attribute;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') {
      throw new OptionTypeError(`attributes.${key}`, 'a string, number or boolean', attribute);
    }
  }

  // A copy: later changes to the caller's object must not change what is reported.
  return { ...(attributes as Attributes) };
}
