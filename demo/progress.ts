/**
 * The progress display while a flood runs: one line rewritten in place on a terminal, or plain
 * lines every second when the output is a file or a CI log, where rewriting would only pile up.
 *
 * @module
 */

import type { FloodCounters } from './flood.js';
import type { Sample } from './protocol.js';

/** What the display reads on each tick. */
export interface ProgressSource {
  readonly label: string;
  readonly requests: number;
  /** The receiver's capacity, or `undefined` when it has none. */
  readonly capacity: number | undefined;
  phase: 'flooding' | 'draining';
  counters: FloodCounters | undefined;
  sample: Sample | undefined;
  /** When the flood started (`performance.now()`). */
  startedAt: number;
}

/** A stream as far as the display needs one. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Starts redrawing `source` on `output`; call the returned function to stop and leave the cursor
 * on a fresh line.
 *
 * @example
 * const stop = showProgress(source, process.stdout);
 * await flood.done;
 * stop();
 */
export function showProgress(source: ProgressSource, output: ProgressOutput): () => void {
  const live = output.isTTY === true;
  const draw = (): void => {
    const line = progressLine(source);
    // On a terminal: return to the start of the line and clear it; elsewhere: a new line each time.
    output.write(live ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  const timer = setInterval(draw, live ? 100 : 1_000);

  return () => {
    clearInterval(timer);
    draw();
    if (live) output.write('\n');
  };
}

/** One progress line: elapsed time, requests answered, 202s, 429s, depth, gate and RSS. */
export function progressLine(source: ProgressSource): string {
  const seconds = ((performance.now() - source.startedAt) / 1_000).toFixed(1).padStart(5);
  const counters = source.counters;
  const sample = source.sample;
  const parts = [`[${source.label}] ${seconds}s ${source.phase.padEnd(8)}`];

  if (counters !== undefined) {
    parts.push(
      `answered ${counters.answered}`,
      `202: ${counters.accepted}`,
      `429: ${counters.rejected}`,
    );
  }

  if (sample !== undefined) {
    const capacity = source.capacity === undefined ? '' : `/${source.capacity}`;
    const gate = sample.accepting ? 'open' : `closed (${sample.pausedBy ?? 'full'})`;
    parts.push(
      `depth ${sample.depth}${capacity}`,
      `gate ${gate}`,
      `processed ${sample.processed}`,
      ...(source.capacity === undefined
        ? []
        : [`drain ${Math.round(sample.drainRatePerSecond)}/s`]),
      `rss ${formatMiB(sample.rssBytes)}`,
    );
  }

  return parts.join('  ');
}

/** Bytes as mebibytes with one decimal. */
export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
