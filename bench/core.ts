/**
 * The core suite: the cost of the admission decision, the queue against a plain array, and the
 * memory a dwell tracker holds as samples accumulate. Each figure is the median of several runs,
 * printed with the min and max, and the suite ends with the targets it checks.
 *
 * @module
 */

import { BoundedQueue } from '../src/index.js';
import type { AllocationReport } from './admit-alloc.js';
import { admitLoop, receiverLoop } from './admit-cases.js';
import type { DwellHeapReport } from './dwell-heap.js';
import {
  formatNumber,
  printTable,
  printTargets,
  summarize,
  type BenchOptions,
  type Row,
  type Suite,
  type Summary,
} from './stats.js';
import {
  addToChecksum,
  runProbe,
  timeInterleaved,
  timeRuns,
  totalChecksum,
  type Loop,
} from './timing.js';

/** Long enough per run for a stable figure; the whole suite stays well under a minute. */
const RUN_MS = 300;
const QUEUE_DEPTHS = [1_000, 100_000] as const;
const DWELL_SAMPLES = [1_000, 10_000_000] as const;
const FULL_PATH = 'receiver.tryAdmit() + slot.release() (full receiver path)';

/** A stand-in for a webhook event: the queues move references, as a receiver's queue does. */
interface QueuedEvent {
  readonly id: number;
}

const events: readonly QueuedEvent[] = Array.from({ length: 1_024 }, (_, id) => ({ id }));
const eventAt = (i: number): QueuedEvent => events[i & 1_023] ?? { id: 0 };

/**
 * The core engine's suite.
 *
 * @example
 * await coreSuite.run({ runs: 5 });
 */
export const coreSuite: Suite = {
  name: 'core',
  title: 'Core engine: admit(), BoundedQueue, DwellTracker',
  run: runCore,
};

async function runCore({ runs }: BenchOptions): Promise<void> {
  const admitNs = await runAdmitTimes(runs);
  const admittedBytes = await runAllocation(runs);
  for (const depth of QUEUE_DEPTHS) runQueuePairs(depth, runs);
  const trackerRatio = await runDwellHeap(runs);

  console.log('Targets');
  printTargets([
    ['admit() < 50 ns (admitting input, median)', admitNs.median < 50],
    ['0 bytes per admitted call (median < 0.5)', admittedBytes && admittedBytes.median < 0.5],
    [
      'tracker memory independent of samples (ratio 0.9 to 1.1)',
      Math.abs(trackerRatio.median - 1) <= 0.1,
    ],
  ]);
  console.log(`\nchecksum ${totalChecksum()}\n`);
}

/** Nanoseconds per decision, and per full receiver round trip for context. */
async function runAdmitTimes(runs: number): Promise<Summary> {
  const admitting = summarize(timeRuns(admitLoop('admitting'), runs, RUN_MS));
  const rejecting = summarize(timeRuns(admitLoop('rejecting'), runs, RUN_MS));
  const { loop, receiver } = receiverLoop();
  const fullPath = summarize(timeRuns(loop, runs, RUN_MS));
  await receiver.close();

  printTable('Time per call, ns', [
    ['admit(), admitting input', admitting],
    ['admit(), rejecting input', rejecting],
    [FULL_PATH, fullPath],
  ]);
  return admitting;
}

/**
 * Bytes allocated per call, weighed in a child process that may call gc() (see admit-alloc.ts
 * for the method). Resolves `undefined` when a collection ran during a weighed loop, since the
 * figures then understate what was allocated.
 */
async function runAllocation(runs: number): Promise<Summary | undefined> {
  const report = await runProbe<AllocationReport>(
    'admit-alloc.ts',
    ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'],
    [String(runs)],
  );
  addToChecksum(report.checksum);

  const admitted = summarize(report.admitting.bytesPerCall);
  printTable('Bytes allocated per call', [
    ['admit(), admitted call', admitted],
    ['admit(), rejected call (control)', summarize(report.rejecting.bytesPerCall)],
    [FULL_PATH, summarize(report.receiver.bytesPerCall)],
  ]);
  console.log('The control must read about one object (a rejection is a new one each call).\n');

  const results = [report.admitting, report.rejecting, report.receiver];
  if (results.every((result) => !result.collectedDuringLoop)) return admitted;

  console.log('A collection ran during a weighed loop: these figures are lower bounds.\n');
  return undefined;
}

/**
 * Enqueue+dequeue pairs at a steady depth: BoundedQueue against Array#push/Array#shift. The queue
 * stamps each item with a clock reading and the array does not, so a third row runs the queue on
 * a constant clock to show the ring's own cost apart from the clock's.
 */
function runQueuePairs(depth: number, runs: number): void {
  const queue = new BoundedQueue<QueuedEvent>({ capacity: depth + 1 });
  const ringOnly = new BoundedQueue<QueuedEvent>({ capacity: depth + 1, clock: () => 0 });
  const array: QueuedEvent[] = [];
  for (let i = 0; i < depth; i++) {
    queue.enqueue(eventAt(i));
    ringOnly.enqueue(eventAt(i));
    array.push(eventAt(i));
  }

  const arrayPairs: Loop = (iterations) => {
    let checksum = 0;
    for (let i = 0; i < iterations; i++) {
      array.push(eventAt(i));
      checksum += array.shift()?.id ?? 0;
    }

    return checksum;
  };

  const loops = [queuePairs(queue), queuePairs(ringOnly), arrayPairs];
  const [queueRuns = [], ringRuns = [], arrayRuns = []] = timeInterleaved(loops, runs, RUN_MS).map(
    (nsPerPair) => nsPerPair.map((ns) => 1e9 / ns),
  );
  const ratios = queueRuns.map((value, run) => value / (arrayRuns[run] ?? Number.NaN));
  printTable(`Enqueue+dequeue pairs per second at a steady depth of ${formatNumber(depth)}`, [
    ['BoundedQueue', summarize(queueRuns)],
    ['BoundedQueue on a constant clock (ring only)', summarize(ringRuns)],
    ['Array#push + Array#shift', summarize(arrayRuns)],
    ['ratio BoundedQueue / Array (run by run)', summarize(ratios), 2],
  ]);
}

function queuePairs(queue: BoundedQueue<QueuedEvent>): Loop {
  return (iterations) => {
    let checksum = 0;
    for (let i = 0; i < iterations; i++) {
      queue.enqueue(eventAt(i));
      checksum += queue.dequeue()?.value.id ?? 0;
    }

    return checksum;
  };
}

/** Bytes a tracker holds after few and after many samples, one child process per run. */
async function runDwellHeap(runs: number): Promise<Summary> {
  const byCount = DWELL_SAMPLES.map(() => [] as number[]);
  const ratios: number[] = [];
  for (let run = 0; run < runs; run++) {
    const report = await runProbe<DwellHeapReport>(
      'dwell-heap.ts',
      ['--expose-gc', '--no-flush-bytecode', '--no-concurrent-recompilation'],
      DWELL_SAMPLES.map(String),
    );
    addToChecksum(report.checksum);
    const bytes = report.checkpoints.map((checkpoint) => checkpoint.bytesPerTracker);
    bytes.forEach((value, index) => byCount[index]?.push(value / 1_024));
    ratios.push((bytes[bytes.length - 1] ?? Number.NaN) / (bytes[0] ?? Number.NaN));
  }

  const ratio = summarize(ratios);
  printTable('DwellTracker retained memory, KiB (heap + typed-array buffers)', [
    ...DWELL_SAMPLES.map((samples, index): Row => [
      `after ${formatNumber(samples)} samples`,
      summarize(byCount[index] ?? []),
    ]),
    [`ratio ${formatNumber(DWELL_SAMPLES[1])} / ${formatNumber(DWELL_SAMPLES[0])}`, ratio, 3],
  ]);
  return ratio;
}
