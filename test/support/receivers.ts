/**
 * Receivers instrumented for tests: every processed event is counted by id, the deepest queue
 * seen is recorded, and processing can be held until the test lets it go.
 */

import {
  createBackpressure,
  type Backpressure,
  type BackpressureOptions,
} from '../../src/index.js';

/** The event every adapter test sends. */
export interface TestEvent {
  id: number;
  pad?: string;
}

export interface TestReceiver {
  receiver: Backpressure<TestEvent>;
  /** How many times each id was processed. */
  processed: Map<number, number>;
  /** The deepest the queue was seen (queued + reserved), sampled at every admission change. */
  maxDepth(): number;
  /** Lets every held and future `process` call finish. */
  unblock(): void;
}

/** Options: `delayMs` per event, `blocked` to hold processing until `unblock()`. */
export interface TestReceiverOptions extends Partial<BackpressureOptions<TestEvent>> {
  delayMs?: number;
  blocked?: boolean;
}

export function createTestReceiver(options: TestReceiverOptions = {}): TestReceiver {
  const { delayMs = 0, blocked = false, ...rest } = options;
  const processed = new Map<number, number>();
  let deepest = 0;
  let release: () => void = () => undefined;
  let gate: Promise<void> = blocked
    ? new Promise((resolve) => {
        release = resolve;
      })
    : Promise.resolve();

  const receiver = createBackpressure<TestEvent>({
    capacity: 100,
    concurrency: 1,
    logger: { warn: () => undefined },
    ...rest,
    process: async (event) => {
      observe();
      await gate;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      processed.set(event.id, (processed.get(event.id) ?? 0) + 1);
    },
  });

  function observe(): void {
    const { depth } = receiver.snapshot();
    if (depth > deepest) deepest = depth;
  }

  receiver.onPause(observe);
  receiver.onReject(() => {
    // Sampling on every rejection is the moment the queue is fullest.
    const depth = receiver.snapshot().depth;
    if (depth > deepest) deepest = depth;
  });

  return {
    receiver,
    processed,
    maxDepth: () => deepest,
    unblock: () => {
      release();
      gate = Promise.resolve();
    },
  };
}

/** Fills a receiver through its own API until the gate closes. */
export async function saturate(
  receiver: Backpressure<TestEvent>,
  firstId = 1_000_000,
): Promise<void> {
  for (let id = firstId; receiver.isAccepting; id++) await receiver.push({ id });
}
