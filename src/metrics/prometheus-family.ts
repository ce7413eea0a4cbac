/**
 * The prom-client metrics behind `registerMetrics()`: one family of gauges and counters per
 * prefix and registry, filled at scrape time from the snapshots of the receivers sharing it.
 *
 * @module
 */

import { Counter, Gauge } from 'prom-client';

import { OptionRangeError } from '../core/errors.js';
import type { BackpressureSnapshot } from '../core/receiver.js';
import type { MetricsRegistry } from './prometheus.js';
import {
  latencies,
  levels,
  quantiles,
  rejected,
  rejectionReasons,
  totals,
  type SnapshotSource,
} from './readings.js';

/** One registered receiver and the constant labels that tell it apart. */
export interface Source {
  readonly receiver: SnapshotSource;
  readonly labels: Readonly<Record<string, string>>;
}

/** One receiver's snapshot, taken for the scrape in progress. */
interface Reading {
  readonly source: Source;
  readonly snapshot: BackpressureSnapshot;
}

/** A registered metric and its full name (prom-client's types do not expose the name). */
interface Entry {
  readonly name: string;
  readonly metric: Gauge | Counter;
}

/** The metrics under one prefix of one registry, shared by every receiver registered there. */
export class Family {
  readonly sources = new Set<Source>();
  readonly #prefix: string;
  readonly #labelNames: readonly string[];
  readonly #entries: Entry[] = [];
  #scrape: Reading[] | undefined;

  constructor(prefix: string, labelNames: readonly string[]) {
    this.#prefix = prefix;
    this.#labelNames = labelNames;

    for (const level of levels) {
      const gauge: Gauge = this.#gauge(level.prometheus, level.description, [], () => {
        for (const { source, snapshot } of this.#readings()) {
          gauge.set(source.labels, level.read(snapshot));
        }
      });
    }

    for (const latency of latencies) {
      const gauge: Gauge = this.#gauge(
        latency.prometheus,
        latency.description,
        ['quantile'],
        () => {
          for (const { source, snapshot } of this.#readings()) {
            const summary = latency.read(snapshot);
            for (const { quantile, field } of quantiles) {
              const ms = summary[field];
              // NaN for a quantile not yet known, as Prometheus summaries report an empty window.
              const seconds = ms === undefined ? Number.NaN : ms / 1_000;
              gauge.set({ ...source.labels, quantile: String(quantile) }, seconds);
            }
          }
        },
      );
    }

    for (const total of totals) {
      const counter: Counter = this.#counter(total.prometheus, total.description, [], () => {
        for (const { source, snapshot } of this.#readings()) {
          counter.inc(source.labels, total.read(snapshot.counters));
        }
      });
    }

    const counter: Counter = this.#counter(
      rejected.prometheus,
      rejected.description,
      ['reason'],
      () => {
        for (const { source, snapshot } of this.#readings()) {
          const byReason = snapshot.counters.rejectedByReason;
          for (const reason of rejectionReasons) {
            counter.inc({ ...source.labels, reason }, byReason[reason] ?? 0);
          }
        }
      },
    );
  }

  isIn(registry: MetricsRegistry): boolean {
    const first = this.#entries[0];
    return first !== undefined && registry.getSingleMetric(first.name) === first.metric;
  }

  registerIn(registry: MetricsRegistry): void {
    // Check every name before registering any, so a clash leaves the registry untouched.
    for (const { name } of this.#entries) {
      if (registry.getSingleMetric(name) !== undefined) {
        throw new OptionRangeError(
          'prefix',
          `a prefix whose metric names are free in the registry (${name} is taken)`,
          this.#prefix,
        );
      }
    }

    for (const { metric } of this.#entries) registry.registerMetric(metric);
  }

  removeFrom(registry: MetricsRegistry): void {
    for (const { name, metric } of this.#entries) {
      // Only our own metric: the registry may have been cleared and the name reused since.
      if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
    }
  }

  checkLabels(labels: Readonly<Record<string, string>>): void {
    const names = Object.keys(labels).sort();
    if (names.join() !== this.#labelNames.join()) {
      const expected = this.#labelNames.length === 0 ? 'none' : this.#labelNames.join(', ');
      throw new OptionRangeError(
        'labels',
        `the label names of the receivers already registered with prefix "${this.#prefix}" ` +
          `(${expected})`,
        labels,
      );
    }

    for (const { labels: other } of this.sources) {
      if (names.every((name) => other[name] === labels[name])) {
        throw new OptionRangeError(
          'labels',
          `values that tell this receiver apart from one already registered with prefix ` +
            `"${this.#prefix}"`,
          labels,
        );
      }
    }
  }

  /**
   * One snapshot per receiver per scrape. prom-client calls every metric's `collect()` in the
   * same synchronous pass, so a cache cleared on the next microtask serves exactly one scrape.
   */
  #readings(): Reading[] {
    if (this.#scrape === undefined) {
      this.#scrape = [...this.sources].map((source) => ({
        source,
        snapshot: source.receiver.snapshot(),
      }));
      queueMicrotask(() => {
        this.#scrape = undefined;
      });
    }

    return this.#scrape;
  }

  #gauge(name: string, help: string, extraLabels: string[], fill: () => void): Gauge {
    const fullName = this.#prefix + name;
    const gauge: Gauge = new Gauge({
      name: fullName,
      help,
      labelNames: [...this.#labelNames, ...extraLabels],
      // An empty list keeps prom-client from also registering on its global default registry.
      registers: [],
      collect: () => {
        // Rebuilt from scratch on every scrape, so a disposed receiver's series disappear.
        gauge.reset();
        fill();
      },
    });
    this.#entries.push({ name: fullName, metric: gauge });
    return gauge;
  }

  #counter(name: string, help: string, extraLabels: string[], fill: () => void): Counter {
    const fullName = this.#prefix + name;
    const counter: Counter = new Counter({
      name: fullName,
      help,
      labelNames: [...this.#labelNames, ...extraLabels],
      registers: [],
      collect: () => {
        // Reset and refill in one synchronous step: no scrape can see the counter at 0.
        counter.reset();
        fill();
      },
    });
    this.#entries.push({ name: fullName, metric: counter });
    return counter;
  }
}
