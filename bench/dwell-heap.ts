/**
 * Memory held by a `DwellTracker` as samples accumulate, measured in a child process that can
 * collect garbage: `node --expose-gc --no-flush-bytecode --no-concurrent-recompilation --import
 * tsx bench/dwell-heap.ts <samples>...`. Prints one JSON line: bytes retained per tracker at each
 * sample count.
 *
 * The method: collect garbage, take a baseline, create the trackers, and at each checkpoint
 * collect again and read the growth over the baseline. The growth counts `heapUsed` plus
 * `arrayBuffers`, because the backing stores of the trackers' `Float64Array`s live outside the
 * JavaScript heap. Three precautions keep other memory out of the figure:
 *
 * - a warm-up makes the same calls first, so that code compiled for them (which lives on the
 *   heap) exists before the baseline; the flags stop the engine from flushing bytecode or
 *   finishing compilation in the background between readings;
 * - several trackers are measured at once and the growth divided among them, so that the few
 *   kilobytes the process itself drifts by weigh little against the trackers;
 * - the baseline is the lowest of three readings, since a reading can catch garbage that a later
 *   collection frees.
 *
 * @module
 */

import { setTimeout as sleep } from 'node:timers/promises';

import { DwellTracker } from '../src/index.js';

/** The JSON line this probe prints. */
export interface DwellHeapReport {
  readonly checkpoints: { readonly samples: number; readonly bytesPerTracker: number }[];
  readonly checksum: number;
}

/** Trackers measured together; each one receives every sample count in full. */
const TRACKERS = 8;
/** Samples per call of the innermost loop, the same in the warm-up and in the measurement. */
const CHUNK = 1_000;

/**
 * The trackers' clock, advanced by 10 µs per sample. Simulated time lets ten million samples
 * sweep the percentile window and the drain-rate ticks many times over without paying for
 * `performance.now()`; a typed-array cell holds it so that advancing it allocates nothing.
 */
const time = new Float64Array(1);
const clock = (): number => time[0] ?? 0;

function heldBytes(): number {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('Run this probe with node --expose-gc');

  // The second pass frees what the first only found unreachable.
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function feedChunk(tracker: DwellTracker, count: number): void {
  for (let i = 0; i < count; i++) {
    const now = (time[0] ?? 0) + 0.01;
    time[0] = now;
    tracker.recordDwell(1 + (i % 97));
    tracker.recordCompletion(5 + (i % 31));
  }
}

/** Records `count` more samples in every tracker, then reads their summaries as a receiver does. */
function feed(trackers: readonly DwellTracker[], count: number): number {
  for (let left = count; left > 0; left -= CHUNK) {
    for (const tracker of trackers) feedChunk(tracker, Math.min(left, CHUNK));
  }

  let checksum = 0;
  for (const tracker of trackers) {
    checksum += (tracker.dwell.p95Ms ?? 0) + (tracker.processing.p95Ms ?? 0);
    checksum += tracker.drainRatePerSecond;
  }

  return checksum;
}

function createTrackers(): DwellTracker[] {
  return Array.from({ length: TRACKERS }, () => new DwellTracker({ clock }));
}

/**
 * Runs throwaway trackers through the calls the measurement makes, several times over. In a
 * function of its own, so that no stack slot of the caller keeps them alive.
 */
function warmUp(): number {
  const trackers = createTrackers();
  let checksum = 0;
  for (let round = 0; round < 5; round++) checksum += feed(trackers, 20_000);

  return checksum;
}

async function baselineBytes(): Promise<number> {
  let lowest = Infinity;
  for (let reading = 0; reading < 3; reading++) {
    // Lets background work (finalisation, deferred clean-up) run between readings.
    await sleep(20);
    lowest = Math.min(lowest, heldBytes());
  }

  return lowest;
}

async function main(): Promise<void> {
  const checkpoints = process.argv
    .slice(2)
    .map(Number)
    .sort((a, b) => a - b);
  if (checkpoints.length === 0 || checkpoints.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`Expected sample counts as positive integers, got ${process.argv[2]}`);
  }

  let checksum = warmUp();
  // Allocated before the baseline, so that storing a reading adds nothing to the next one.
  const retained = new Float64Array(checkpoints.length);
  const baseline = await baselineBytes();
  const trackers = createTrackers();
  let fed = 0;

  for (const [index, samples] of checkpoints.entries()) {
    checksum += feed(trackers, samples - fed);
    fed = samples;
    retained[index] = (heldBytes() - baseline) / TRACKERS;
  }

  // Using the trackers after the last reading keeps them reachable through every collection.
  checksum += feed(trackers, 1);
  const report: DwellHeapReport = {
    checkpoints: checkpoints.map((samples, index) => ({
      samples,
      bytesPerTracker: retained[index] ?? Number.NaN,
    })),
    checksum,
  };
  console.log(JSON.stringify(report));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
