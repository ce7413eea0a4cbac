/**
 * Bytes allocated per admission call, measured in a child process that can collect garbage:
 * `node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 --import tsx
 * bench/admit-alloc.ts <runs>`. Prints one JSON line.
 *
 * The method: warm each loop up until it is optimised, collect garbage twice, read `heapUsed`,
 * run a fixed number of calls, read `heapUsed` again. With no collection in between, the growth
 * is exactly what the loop allocated, and dividing by the call count gives bytes per call. The
 * young generation is made large (64 MiB per semi-space) so that even an allocating loop fits in
 * it without a scavenge, and a `gc` performance observer reports any collection that happened
 * anyway, since one would hide allocation. The rejecting loop is the control: a rejection is a
 * new object, so the method must see it.
 *
 * @module
 */

import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { admitLoop, receiverLoop } from './admit-cases.js';
import type { Loop } from './timing.js';

/** Calls per measurement: at 100 bytes a call this is 20 MB, well inside a 64 MiB semi-space. */
const CALLS = 200_000;
const WARM_UP_CALLS = 500_000;

/** One case's figures: bytes per call for each run, and whether a collection disturbed any. */
export interface AllocationResult {
  readonly bytesPerCall: number[];
  readonly collectedDuringLoop: boolean;
}

/** The JSON line this probe prints. */
export interface AllocationReport {
  readonly admitting: AllocationResult;
  readonly rejecting: AllocationResult;
  readonly receiver: AllocationResult;
  readonly checksum: number;
}

const gc = globalThis.gc;
let collections = 0;
let checksum = 0;

/** Collects twice (the second pass frees what the first only marked), then lets entries arrive. */
async function settle(): Promise<void> {
  gc?.();
  gc?.();
  // gc performance entries are delivered asynchronously; wait so that none is counted late.
  await sleep(20);
}

async function weigh(loop: Loop, runs: number): Promise<AllocationResult> {
  checksum += loop(WARM_UP_CALLS);
  const bytesPerCall: number[] = [];
  let collectedDuringLoop = false;

  for (let run = 0; run < runs; run++) {
    await settle();
    const collectionsBefore = collections;
    const before = process.memoryUsage().heapUsed;
    checksum += loop(CALLS);
    const after = process.memoryUsage().heapUsed;
    await sleep(20);

    bytesPerCall.push((after - before) / CALLS);
    if (collections !== collectionsBefore) collectedDuringLoop = true;
  }

  return { bytesPerCall, collectedDuringLoop };
}

async function main(): Promise<void> {
  if (gc === undefined) throw new Error('Run this probe with node --expose-gc');

  const runs = Number(process.argv[2] ?? '5');
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });

  const admitting = await weigh(admitLoop('admitting'), runs);
  const rejecting = await weigh(admitLoop('rejecting'), runs);
  const { loop, receiver } = receiverLoop();
  const receiverResult = await weigh(loop, runs);
  await receiver.close();
  observer.disconnect();

  const report: AllocationReport = { admitting, rejecting, receiver: receiverResult, checksum };
  console.log(JSON.stringify(report));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
