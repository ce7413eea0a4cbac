/**
 * Prometheus metrics for a receiver, through prom-client.
 *
 * Every figure is read at scrape time from one `snapshot()` per receiver, so the request path does
 * no metrics work at all. Counters are published as prom-client counters whose value is rebuilt
 * from the receiver's own counters on each scrape: those only ever rise while the receiver lives,
 * so the published series stay monotonic, and a new process starts them again from 0, which
 * `rate()` reads as an ordinary counter reset.
 *
 * Dwell and processing percentiles come from the receiver's own sliding window rather than from
 * observations made here, so they are gauges with a `quantile` label: a prom-client `Summary`
 * computes its quantiles from `observe()` calls and cannot be handed ready ones.
 *
 * @module
 */

import type { Registry } from 'prom-client';

import { OptionRangeError, OptionTypeError } from '../core/errors.js';
import type { Disposer } from '../core/listeners.js';
import { object } from '../core/validate.js';
import { Family, type Source } from './prometheus-family.js';
import type { SnapshotSource } from './readings.js';

export type { SnapshotSource } from './readings.js';

/** The part of a prom-client `Registry` these metrics use; any prom-client 14 or 15 registry. */
export type MetricsRegistry = Pick<
  Registry,
  'registerMetric' | 'getSingleMetric' | 'removeSingleMetric'
>;

/** Options of {@link registerMetrics}. */
export interface PrometheusMetricsOptions {
  /** The registry to add the metrics to: the one your `/metrics` route serves. */
  registry: MetricsRegistry;
  /**
   * Prepended to every metric name.
   * @default 'backpressure_'
   */
  prefix?: string;
  /**
   * Constant labels on every series. Give each receiver distinct values to register several on
   * one registry under the same prefix; they must all use the same label names.
   * @default {}
   * @example { receiver: 'orders' }
   */
  labels?: Readonly<Record<string, string>>;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Labels this module sets itself, and the prefix Prometheus keeps for its own use.
const reservedLabel = /^(?:__|quantile$|reason$)/;

/** The families registered so far, by registry and then by prefix. */
const registered = new WeakMap<object, Map<string, Family>>();

/**
 * Registers gauges and counters for `receiver` on a prom-client registry, and returns a disposer
 * that removes them (once the last receiver sharing them is disposed of).
 *
 * Published, with the default prefix: `backpressure_queue_depth`, `_queue_reserved`,
 * `_queue_capacity`, `_queue_high_watermark`, `_queue_low_watermark`, `_in_flight`, `_accepting`
 * (0 or 1), `_drain_rate_per_second`, `_dwell_seconds` and `_processing_seconds` (gauges with a
 * `quantile` label of 0.5, 0.95 and 0.99, `NaN` until enough samples exist), and the counters
 * `_admitted_total`, `_rejected_total` (label `reason`), `_processed_total`, `_retried_total`
 * and `_dead_lettered_total`.
 *
 * @example
 * import { Registry } from 'prom-client';
 * import { registerMetrics } from 'backpressure/prometheus';
 *
 * const registry = new Registry();
 * const dispose = registerMetrics(receiver, { registry, labels: { receiver: 'orders' } });
 * app.get('/metrics', async (_req, res) => {
 *   res.type(registry.contentType).send(await registry.metrics());
 * });
 */
export function registerMetrics(
  receiver: SnapshotSource,
  options: PrometheusMetricsOptions,
): Disposer {
  if (typeof (receiver as Partial<SnapshotSource> | null)?.snapshot !== 'function') {
    throw new OptionTypeError('receiver', 'a receiver with a snapshot() method', receiver);
  }

  const parsed = object('options', options);
  const registry = parseRegistry(parsed.registry);
  const prefix = parsePrefix(parsed.prefix);
  const labels = parseLabels(parsed.labels);

  let byPrefix = registered.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    registered.set(registry, byPrefix);
  }

  let family = byPrefix.get(prefix);
  // A registry cleared behind our back no longer holds the family: start a fresh one.
  if (family !== undefined && !family.isIn(registry)) family = undefined;
  if (family === undefined) {
    family = new Family(prefix, Object.keys(labels).sort());
    family.registerIn(registry);
    byPrefix.set(prefix, family);
  } else {
    family.checkLabels(labels);
  }

  const source: Source = { receiver, labels };
  const owner = family;
  const families = byPrefix;
  owner.sources.add(source);

  return function disposeMetrics(): void {
    if (!owner.sources.delete(source) || owner.sources.size > 0) return;

    owner.removeFrom(registry);
    if (families.get(prefix) === owner) families.delete(prefix);
  };
}

function parseRegistry(value: unknown): MetricsRegistry {
  const registry = value as Partial<MetricsRegistry> | null | undefined;
  if (
    typeof registry?.registerMetric !== 'function' ||
    typeof registry.getSingleMetric !== 'function' ||
    typeof registry.removeSingleMetric !== 'function'
  ) {
    throw new OptionTypeError('registry', 'a prom-client Registry', value);
  }

  return registry as MetricsRegistry;
}

function parsePrefix(value: unknown): string {
  if (value === undefined) return 'backpressure_';
  if (typeof value !== 'string') throw new OptionTypeError('prefix', 'a string', value);
  if (value !== '' && !metricName.test(value)) {
    throw new OptionRangeError('prefix', 'letters, digits, `_` and `:`, not led by a digit', value);
  }

  return value;
}

function parseLabels(value: unknown): Readonly<Record<string, string>> {
  const labels = object('labels', value);
  for (const [name, labelValue] of Object.entries(labels)) {
    if (!labelName.test(name) || reservedLabel.test(name)) {
      throw new OptionRangeError(
        'labels',
        'label names of letters, digits and `_`, other than `reason`, `quantile` and `__*`',
        name,
      );
    }

    if (typeof labelValue !== 'string') {
      throw new OptionTypeError(`labels.${name}`, 'a string', labelValue);
    }
  }

  return { ...(labels as Record<string, string>) };
}
