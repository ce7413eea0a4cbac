import { describe, expect, it } from 'vitest';

import { createBackpressure } from '../../src/index.js';

describe('createBackpressure', () => {
  it('processes every admitted event and rejects past the high watermark', async () => {
    const processed: number[] = [];
    const receiver = createBackpressure<number>({
      capacity: 10,
      highWatermark: 8,
      lowWatermark: 4,
      concurrency: 1,
      process: (event) => {
        processed.push(event);
      },
    });

    const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => receiver.push(i)));
    const admittedCount = decisions.filter((decision) => decision.admitted).length;
    await receiver.onIdle();

    expect(admittedCount).toBeLessThan(20);
    expect(processed).toHaveLength(admittedCount);
    expect(receiver.snapshot().counters.rejectedByReason.saturated).toBe(20 - admittedCount);
    await expect(receiver.close()).resolves.toEqual({
      unprocessed: [],
      interrupted: [],
      drained: true,
    });
  });
});
