/**
 * A receiver whose `process` holds every event until the test lets go, so that the queue fills
 * on demand; shared by the Prometheus and OpenTelemetry tests.
 *
 * @module
 */

import {
  createBackpressure,
  type Backpressure,
  type BackpressureOptions,
} from '../../src/index.js';

export interface HeldReceiver {
  readonly receiver: Backpressure<number>;
  /** Finishes the held events and lets every later one through at once. */
  readonly letGo: () => void;
}

/**
 * Capacity 10, stops admitting at 4 and resumes at 2, one worker, percentiles from the first
 * sample (recomputed on every read). Events throw when `fail` says so.
 */
export function heldReceiver(
  options: Partial<BackpressureOptions<number>> & { fail?: (event: number) => boolean } = {},
): HeldReceiver {
  const { fail = () => false, ...rest } = options;
  let holding = true;
  const held: (() => void)[] = [];
  const receiver = createBackpressure<number>({
    capacity: 10,
    highWatermark: 4,
    lowWatermark: 2,
    concurrency: 1,
    tracking: { minSamples: 1, refreshMs: 0 },
    retry: { maxAttempts: 2, initialDelayMs: 0 },
    onDeadLetter: () => undefined,
    ...rest,
    process: async (event) => {
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      if (fail(event)) throw new Error(`event ${event} failed`);
    },
  });

  return {
    receiver,
    letGo: () => {
      holding = false;
      for (const resume of held.splice(0)) resume();
    },
  };
}

/** Pushes events 0, 1, 2, … until one is rejected; returns how many were admitted. */
export async function fillUntilRejected(receiver: Backpressure<number>): Promise<number> {
  for (let event = 0; event < 100; event++) {
    const decision = await receiver.push(event);
    if (!decision.admitted) return event;
  }

  throw new Error('the receiver admitted 100 events without rejecting one');
}
