/**
 * The demo's verdict: the invariants a correct receiver keeps, checked against what the client
 * and the receiver each saw, and the text report printed at the end of a run.
 *
 * @module
 */

import { renderChart, sparkline } from './chart.js';
import { formatMiB } from './progress.js';
import type { ScenarioResult } from './run.js';

/** One invariant and whether it held. */
export interface Check {
  readonly ok: boolean;
  readonly text: string;
}

/**
 * Checks one scenario. Every event answered 202 must be processed exactly once; the queue must
 * never exceed its capacity; no request may fail in transport or get an unexpected status; and
 * when the client retries, every event must end up accepted.
 *
 * @example
 * const failed = checkInvariants(result, { retry: false }).filter((check) => !check.ok);
 */
export function checkInvariants(result: ScenarioResult, options: { retry: boolean }): Check[] {
  const { flood, receiver, settings } = result;
  const accepted = new Set(flood.acceptedIds);
  const seen = new Set<string>();
  let duplicates = 0;
  let phantoms = 0;
  for (const id of receiver.processedIds) {
    if (seen.has(id)) duplicates++;
    if (!accepted.has(id)) phantoms++;
    seen.add(id);
  }

  const lost = [...accepted].filter((id) => !seen.has(id)).length;
  const processed = receiver.processedIds.length;
  const checks: Check[] = [
    check(
      processed === flood.counters.accepted,
      `events processed (${processed}) = 202 answers (${flood.counters.accepted})`,
    ),
    check(duplicates === 0, `no event processed twice (${duplicates} duplicates)`),
    check(lost === 0, `no accepted event lost (${lost} lost)`),
    check(phantoms === 0, `no event processed that was not accepted (${phantoms})`),
    check(
      flood.counters.transportErrors === 0,
      `no transport errors (${flood.counters.transportErrors}` +
        `${flood.firstError === undefined ? '' : `, first: ${flood.firstError}`})`,
    ),
    check(
      flood.counters.unexpected === 0,
      `only 202 and 429 answers (${flood.counters.unexpected} others)`,
    ),
  ];

  if (settings.mode === 'guarded') {
    checks.push(
      check(
        receiver.peakDepth <= settings.capacity,
        `peak depth (${receiver.peakDepth}) <= capacity (${settings.capacity})`,
      ),
    );
  }

  if (options.retry) {
    const givenUp = flood.undeliveredIds.length;
    checks.push(
      check(
        givenUp === 0 && accepted.size === flood.acceptedIds.length,
        `every event delivered once (${accepted.size} of ${accepted.size + givenUp}, ` +
          `${givenUp} given up)`,
      ),
    );
  }

  return checks;
}

function check(ok: boolean, text: string): Check {
  return { ok, text };
}

/**
 * The report of one scenario: counts, peaks, dwell, the `Retry-After` values and, for the guarded
 * receiver, the chart.
 */
export function formatScenario(result: ScenarioResult, options: { retry: boolean }): string[] {
  const { flood, receiver, settings } = result;
  const counters = flood.counters;
  const lines = [
    settings.mode === 'guarded'
      ? `Guarded receiver: capacity ${settings.capacity}, high watermark ` +
        `${receiver.highWatermark}, low watermark ${receiver.lowWatermark}, ` +
        `${settings.workers} workers × ${settings.workMs} ms`
      : `Unguarded receiver: unbounded array, always 202, ` +
        `${settings.workers} workers × ${settings.workMs} ms`,
    row('requests answered', `${counters.answered} in ${seconds(flood.durationMs)}`),
    row('202 Accepted', String(counters.accepted)),
    row('429 Too Many Requests', String(counters.rejected)),
    row('events processed', `${receiver.processedIds.length} (must equal the 202s)`),
    row(
      'peak queue depth',
      settings.mode === 'guarded'
        ? `${receiver.peakDepth} of capacity ${settings.capacity}`
        : `${receiver.peakDepth} (no capacity)`,
    ),
    row(
      'peak RSS',
      `${formatMiB(receiver.peakRssBytes)} ` +
        `(${formatMiB(receiver.baselineRssBytes)} before the flood)`,
    ),
    row(
      'p95 dwell',
      `${Math.round(receiver.p95DwellMs)} ms (max ${Math.round(receiver.maxDwellMs)} ms)`,
    ),
  ];

  if (options.retry && settings.mode === 'guarded') {
    lines.push(
      row(
        'retries',
        `${counters.acceptedAfterRetry} events accepted after a 429, ` +
          `${flood.undeliveredIds.length} given up`,
      ),
    );
  }

  lines.push(...retryAfterLines(flood.retryAfterSeconds));
  if (settings.mode === 'guarded') {
    lines.push('', '  queue depth and gate over time (┴ marks the end of the flood)', '');
    lines.push(
      ...renderChart(result.samples, {
        capacity: settings.capacity,
        highWatermark: receiver.highWatermark,
        lowWatermark: receiver.lowWatermark,
        markAtMs: result.floodEndedAtMs,
      }),
    );
    lines.push('         · gate open (202)   █ gate closed (429)');
  }

  return lines;
}

/** The distribution of `Retry-After` values, one bar per value. */
function retryAfterLines(distribution: ReadonlyMap<number, number>): string[] {
  if (distribution.size === 0) return [row('Retry-After', 'none received')];

  const most = Math.max(...distribution.values());
  const values = [...distribution.keys()].sort((a, b) => a - b);
  return values.map((value, index) => {
    const count = distribution.get(value) ?? 0;
    const bar = '█'.repeat(Math.max(1, Math.round((count / most) * 30)));
    const label = index === 0 ? 'Retry-After' : '';
    return row(label, `${`${value} s`.padStart(5)} ${String(count).padStart(6)}  ${bar}`);
  });
}

/** The guarded and unguarded figures side by side. */
export function formatComparison(guarded: ScenarioResult, unguarded: ScenarioResult): string[] {
  const line = (label: string, a: string, b: string): string =>
    `  ${label.padEnd(22)}${a.padStart(16)}${b.padStart(16)}`;
  const figures = (result: ScenarioResult): string[] => [
    String(result.flood.counters.accepted),
    String(result.flood.counters.rejected),
    String(result.receiver.peakDepth),
    formatMiB(result.receiver.baselineRssBytes),
    formatMiB(result.receiver.peakRssBytes),
    `${Math.round(result.receiver.p95DwellMs)} ms`,
  ];
  const a = figures(guarded);
  const b = figures(unguarded);
  const labels = [
    '202 Accepted',
    '429 Too Many Requests',
    'peak queue depth',
    'RSS before the flood',
    'peak RSS',
    'p95 dwell',
  ];

  const rss = (result: ScenarioResult): number[] => result.samples.map((s) => s.rssBytes);
  const top = Math.max(...rss(guarded), ...rss(unguarded));
  return [
    'Side by side, same flood and same slow workers',
    line('', 'guarded', 'unguarded'),
    ...labels.map((label, i) => line(label, a[i] ?? '', b[i] ?? '')),
    '',
    `  RSS over each run, on one scale from 0 to ${formatMiB(top)}`,
    `    guarded    ${sparkline(rss(guarded), top)}`,
    `    unguarded  ${sparkline(rss(unguarded), top)}`,
  ];
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(22)}${value}`;
}

function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)} s`;
}
