/**
 * Timing and process helpers for the in-process suites: calibrated loops, a checksum the
 * optimiser cannot discard, and child processes that report one JSON line.
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** A loop body: runs `iterations` operations and returns a checksum of their results. */
export type Loop = (iterations: number) => number;

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Every loop's result is added here and the total printed at the end: a result that is never
 * used could let the optimiser delete the work being timed.
 */
let checksum = 0;

/** Adds a result computed elsewhere (in a child process, say) to the printed checksum. */
export function addToChecksum(value: number): void {
  checksum += value;
}

/** The sum of every timed loop's results so far. */
export function totalChecksum(): number {
  return checksum;
}

/** Runs `loop` once and returns nanoseconds per iteration. */
function nsPerIteration(loop: Loop, iterations: number): number {
  const start = process.hrtime.bigint();
  checksum += loop(iterations);
  return Number(process.hrtime.bigint() - start) / iterations;
}

/**
 * Finds an iteration count that takes about `runMs`, by doubling until a run takes an eighth of
 * it; the doubling also warms the loop up.
 */
function calibrate(loop: Loop, runMs: number): number {
  const targetNs = runMs * 1e6;
  let iterations = 16;
  let elapsedNs = nsPerIteration(loop, iterations) * iterations;
  while (elapsedNs < targetNs / 8) {
    iterations *= 2;
    elapsedNs = nsPerIteration(loop, iterations) * iterations;
  }

  return Math.max(1, Math.round((iterations * targetNs) / elapsedNs));
}

/**
 * Times `loop` over `runs` runs of about `runMs` each and returns nanoseconds per iteration for
 * each run. One full-length run before the measured ones lets the optimising compiler settle.
 *
 * @example
 * const nsPerCall = timeRuns((n) => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; },
 *   5, 300);
 */
export function timeRuns(loop: Loop, runs: number, runMs: number): number[] {
  return timeInterleaved([loop], runs, runMs)[0] ?? [];
}

/**
 * Like {@link timeRuns} for several loops that are to be compared, taking turns run by run: on a
 * shared machine, load comes and goes, and loops timed in turn meet the same load, so the ratio
 * of one run's figures is fairer than that of figures taken minutes apart.
 *
 * @example
 * const [queueNs, arrayNs] = timeInterleaved([queuePairs, arrayPairs], 5, 300);
 */
export function timeInterleaved(loops: readonly Loop[], runs: number, runMs: number): number[][] {
  const iterations = loops.map((loop) => calibrate(loop, runMs));
  loops.forEach((loop, index) => nsPerIteration(loop, iterations[index] ?? 1));

  const results = loops.map((): number[] => []);
  for (let run = 0; run < runs; run++) {
    loops.forEach((loop, index) =>
      results[index]?.push(nsPerIteration(loop, iterations[index] ?? 1)),
    );
  }

  return results;
}

/**
 * Runs a TypeScript file of this folder in a fresh Node process with the given engine flags, and
 * parses the last line it prints as JSON.
 *
 * @example
 * const report = await runProbe<{ bytes: number }>('probe.ts', ['--expose-gc'], ['5']);
 */
export async function runProbe<T>(
  file: string,
  nodeFlags: readonly string[],
  args: readonly string[],
): Promise<T> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const { stdout } = await run(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', script, ...args],
    { cwd: root },
  );
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as T;
}
