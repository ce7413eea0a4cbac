/**
 * A terminal chart of queue depth and gate state over time, drawn with block characters and no
 * dependency. Depth is a column per time bucket, the watermarks are dashed lines across the empty
 * part of the plot, and a row under the time axis shows when the gate was closed.
 *
 * @module
 */

import type { Sample } from './protocol.js';

/** What the chart draws besides the samples. */
export interface ChartOptions {
  /** The top of the depth axis: the queue's capacity. */
  readonly capacity: number;
  readonly highWatermark?: number | undefined;
  readonly lowWatermark?: number | undefined;
  /** A moment to mark on the time axis, such as the end of the flood, in milliseconds. */
  readonly markAtMs?: number | undefined;
  /** Plot columns. @default 60 */
  readonly width?: number;
  /** Plot rows. @default 10 */
  readonly height?: number;
}

/** Eighths of a cell, for the top of a column that ends inside a row. */
const eighths = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** One time bucket: the deepest sample in it and whether the gate was closed at any point. */
interface Column {
  readonly depth: number;
  readonly closed: boolean;
}

/**
 * Renders the chart as lines of text, at most `width + 20` columns wide.
 *
 * @example
 * const lines = renderChart(samples, { capacity: 500, highWatermark: 400, lowWatermark: 250 });
 * console.log(lines.join('\n'));
 */
export function renderChart(samples: readonly Sample[], options: ChartOptions): string[] {
  const height = options.height ?? 10;
  const columns = bucket(samples, options.width ?? 60);
  if (columns.length === 0) return ['(no samples)'];

  const top = Math.max(options.capacity, 1);
  const rowOf = (level: number): number =>
    // Row 0 is the top one; a level on a row's upper edge belongs to that row.
    Math.min(height - 1, Math.max(0, height - Math.ceil((level / top) * height)));
  const highRow = options.highWatermark === undefined ? -1 : rowOf(options.highWatermark);
  const lowRow = options.lowWatermark === undefined ? -1 : rowOf(options.lowWatermark);

  const lines: string[] = [];
  for (let row = 0; row < height; row++) {
    const floor = ((height - row - 1) / height) * top;
    const cellSize = top / height;
    const dash = row === highRow ? '╌' : row === lowRow ? '┈' : ' ';
    let cells = '';
    for (const column of columns) {
      const filled = Math.round(((column.depth - floor) / cellSize) * 8);
      const eighth = Math.min(8, Math.max(0, filled));
      cells += eighth === 0 ? dash : (eighths[eighth] ?? '█');
    }

    lines.push(`${axisLabel(row, options, rowOf, top)} ┤${cells}${rowNote(row, options, rowOf)}`);
  }

  const spanMs = samples.at(-1)?.atMs ?? 0;
  lines.push(`${' '.repeat(6)}0 └${timeAxis(columns.length, spanMs, options.markAtMs)}`);
  lines.push(`${' '.repeat(9)}${timeLabels(columns.length, spanMs)}`);
  lines.push(`   gate  ${columns.map((column) => (column.closed ? '█' : '·')).join('')}`);
  return lines;
}

/** Groups samples into `width` equal time buckets (fewer when there are fewer samples). */
function bucket(samples: readonly Sample[], width: number): Column[] {
  const count = Math.min(width, samples.length);
  const spanMs = samples.at(-1)?.atMs ?? 0;
  const columns: { depth: number; closed: boolean; seen: boolean }[] = Array.from(
    { length: count },
    () => ({ depth: 0, closed: false, seen: false }),
  );

  for (const sample of samples) {
    const index =
      spanMs === 0 ? 0 : Math.min(count - 1, Math.floor((sample.atMs / spanMs) * count));
    const column = columns[index]!;
    column.depth = Math.max(column.depth, sample.depth);
    column.closed ||= !sample.accepting;
    column.seen = true;
  }

  // A bucket without a sample repeats its neighbour rather than dropping to zero.
  for (let i = 1; i < columns.length; i++) {
    const column = columns[i]!;
    if (!column.seen) Object.assign(column, columns[i - 1]);
  }

  return columns;
}

function axisLabel(
  row: number,
  options: ChartOptions,
  rowOf: (level: number) => number,
  top: number,
): string {
  if (row === 0) return String(top).padStart(7);
  if (options.highWatermark !== undefined && row === rowOf(options.highWatermark)) {
    return String(options.highWatermark).padStart(7);
  }

  if (options.lowWatermark !== undefined && row === rowOf(options.lowWatermark)) {
    return String(options.lowWatermark).padStart(7);
  }

  return ' '.repeat(7);
}

function rowNote(row: number, options: ChartOptions, rowOf: (level: number) => number): string {
  const notes: string[] = [];
  if (row === 0) notes.push('capacity');
  if (options.highWatermark !== undefined && row === rowOf(options.highWatermark)) {
    notes.push('╌ high watermark');
  }

  if (options.lowWatermark !== undefined && row === rowOf(options.lowWatermark)) {
    notes.push('┈ low watermark');
  }

  return notes.length === 0 ? '' : ` ${notes.join(', ')}`;
}

/** The time axis, with `┴` where `markAtMs` falls. */
function timeAxis(width: number, spanMs: number, markAtMs: number | undefined): string {
  const axis = Array.from({ length: width }, () => '─');
  if (markAtMs !== undefined && spanMs > 0) {
    axis[Math.min(width - 1, Math.floor((markAtMs / spanMs) * width))] = '┴';
  }

  return axis.join('');
}

/** `0s` under the start of the axis and the total span under its end. */
function timeLabels(width: number, spanMs: number): string {
  const end = `${(spanMs / 1_000).toFixed(1)}s`;
  return `0s${end.padStart(Math.max(end.length, width - 2))}`;
}

/**
 * A one-line chart of `values` scaled to `max`, at most `width` characters: each character is
 * the largest value of its share of the series.
 *
 * @example
 * sparkline([1, 2, 4, 8], 8, 4); // '▁▂▄█'
 */
export function sparkline(values: readonly number[], max: number, width = 60): string {
  const count = Math.min(width, values.length);
  let line = '';
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * values.length) / count);
    const to = Math.floor(((i + 1) * values.length) / count);
    const peak = Math.max(...values.slice(from, Math.max(to, from + 1)));
    line += eighths[Math.max(1, Math.min(8, Math.round((peak / max) * 8)))] ?? '█';
  }

  return line;
}
