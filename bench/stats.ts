/**
 * Shared pieces of the benchmark suites: the contract a suite fulfils, statistics over repeated
 * runs, and plain-text tables.
 *
 * @module
 */

/** What every suite receives from the runner. */
export interface BenchOptions {
  /**
   * How many measured runs each figure is the median of.
   * @default 5
   */
  readonly runs: number;
  /**
   * Seconds of load per run, for suites that drive a server (`--seconds`).
   * @default undefined (the suite's own default)
   */
  readonly seconds?: number | undefined;
  /**
   * A smoke run (`--quick`): fewer and shorter runs, to see that a suite works, not to trust its
   * figures.
   * @default false
   */
  readonly quick?: boolean;
}

/**
 * One benchmark suite. The runner calls `run` for each suite whose name matches the filter.
 *
 * @example
 * const suite: Suite = { name: 'core', title: 'Core engine', run: async ({ runs }) => {} };
 */
export interface Suite {
  /** Short, lower-case name matched by the command-line filter. */
  readonly name: string;
  /** A heading printed before the suite's tables. */
  readonly title: string;
  run(options: BenchOptions): Promise<void>;
}

/** The spread of one figure across runs. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The median of the samples: the middle one, or the mean of the two middle ones.
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('Expected at least one sample, got none');

  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/**
 * Median, minimum and maximum of the samples.
 *
 * @example
 * summarize([12, 10, 11]); // { median: 11, min: 10, max: 12 }
 */
export function summarize(samples: readonly number[]): Summary {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

/**
 * A number for a table: thousands separated, with `digits` decimals (fewer for large values, where
 * decimals are noise).
 *
 * @example
 * formatNumber(1234567.8); // '1,234,568'
 * formatNumber(12.345, 2); // '12.35'
 */
export function formatNumber(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return String(value);

  const decimals = Math.abs(value) >= 1_000 ? 0 : digits;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/**
 * The median / min / max cells of one table row, formatted alike.
 *
 * @example
 * summaryCells({ median: 11, min: 10, max: 12 }); // ['11.0', '10.0', '12.0']
 */
export function summaryCells(summary: Summary, digits = 1): string[] {
  return [summary.median, summary.min, summary.max].map((value) => formatNumber(value, digits));
}

/**
 * A plain-text table: the first column left-aligned (labels), the others right-aligned (figures).
 *
 * @example
 * formatTable(['case', 'ns/op'], [['admit', '12.3']]);
 * // case   ns/op
 * // -----  -----
 * // admit   12.3
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    widths
      .map((width, column) => {
        const cell = cells[column] ?? '';
        return column === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();

  const rule = widths.map((width) => '-'.repeat(width));
  return [line(headers), line(rule), ...rows.map(line)].join('\n');
}

/**
 * A table row: label, figures, and the decimals to print them with.
 *
 * @example
 * const row: Row = ['admit()', { median: 11, min: 10, max: 12 }, 2];
 */
export type Row = readonly [string, Summary] | readonly [string, Summary, number];

/**
 * Prints a titled table of median / min / max rows.
 *
 * @example
 * printTable('Time per call, ns', [['admit()', summarize([12, 10, 11])]]);
 */
export function printTable(title: string, rows: readonly Row[]): void {
  const cells = rows.map(([label, summary, digits]) => [label, ...summaryCells(summary, digits)]);
  console.log(`${title}\n${formatTable(['', 'median', 'min', 'max'], cells)}\n`);
}

/**
 * Prints each target as met, not met, or inconclusive (`undefined`: no sound figure).
 *
 * @example
 * printTargets([['admit() < 50 ns', 12 < 50]]);
 */
export function printTargets(targets: readonly (readonly [string, boolean | undefined])[]): void {
  const verdict = (met: boolean | undefined): string =>
    met === undefined ? 'inconclusive' : met ? 'met' : 'NOT MET';
  const rows = targets.map(([label, met]) => [label, verdict(met)]);
  console.log(formatTable(['target', 'result'], rows));
}
