import { describe, expect, it } from 'vitest';

import { BoundedQueue, SlotSettledError, admitted, createBackpressure } from '../../src/index.js';
import { controlledProcess, refuse, reserve, settle } from './fixtures.js';

describe('createBackpressure', () => {
  it('processes every admitted event and rejects past the high watermark', async () => {
    const processed: number[] = [];
    const receiver = createBackpressure<number>({
      capacity: 10,
      highWatermark: 8,
      lowWatermark: 4,
      concurrency: 1,
      // Asynchronous, as real work is: a synchronous process would drain each event as it came.
      process: async (event) => {
        await Promise.resolve();
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

  it('reserves a slot per admitted request and counts it in depth', () => {
    const receiver = createBackpressure<string>({ capacity: 10, process: () => undefined });

    const slot = reserve(receiver);
    expect(slot.admitted).toBe(true);
    expect(slot.state).toBe('reserved');
    const snapshot = receiver.snapshot();
    expect(snapshot).toMatchObject({ depth: 1, reserved: 1, queued: 0, inFlight: 0 });
    expect(snapshot.counters).toMatchObject({ admitted: 1, enqueued: 0, released: 0 });
  });

  it('queues an enqueued event and hands it to process with its dwell', async () => {
    let now = 0;
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({
      capacity: 10,
      concurrency: 1,
      process,
      clock: () => now,
    });

    const first = reserve(receiver);
    const second = reserve(receiver);
    await first.enqueue('a');
    expect(first.state).toBe('enqueued');
    await second.enqueue('b');
    expect(receiver.snapshot()).toMatchObject({ depth: 1, queued: 1, reserved: 0, inFlight: 1 });
    expect(receiver.snapshot().counters.enqueued).toBe(2);

    await settle();
    expect(calls.map((call) => call.event)).toEqual(['a']);
    expect(calls[0]!.context).toMatchObject({ attempt: 1, dwellMs: 0 });

    now = 40;
    calls[0]!.resolve();
    await settle();
    expect(calls.map((call) => call.event)).toEqual(['a', 'b']);
    expect(calls[1]!.context).toMatchObject({ attempt: 1, dwellMs: 40 });
    expect(receiver.snapshot()).toMatchObject({ depth: 0, queued: 0, inFlight: 1 });
    expect(receiver.snapshot().counters.processed).toBe(1);
  });

  it('rejects a second enqueue of the same slot with SlotSettledError', async () => {
    const receiver = createBackpressure<string>({ capacity: 10, process: () => undefined });
    const slot = reserve(receiver);
    await slot.enqueue('a');

    await expect(slot.enqueue('b')).rejects.toThrow(SlotSettledError);
    await expect(slot.enqueue('b')).rejects.toMatchObject({
      code: 'ERR_BACKPRESSURE_SLOT_SETTLED',
      message: 'This slot was already enqueued; a slot holds one event',
    });
    await receiver.onIdle();
    expect(receiver.snapshot().counters).toMatchObject({ enqueued: 1, processed: 1 });
  });

  it('rejects an enqueue of a released slot', async () => {
    const receiver = createBackpressure<string>({ capacity: 10, process: () => undefined });
    const slot = reserve(receiver);
    slot.release();

    await expect(slot.enqueue('a')).rejects.toThrow('This slot was already released');
    expect(receiver.snapshot()).toMatchObject({ depth: 0, reserved: 0 });
  });

  it('gives a released slot back, once', () => {
    const receiver = createBackpressure<string>({ capacity: 10, process: () => undefined });
    const slot = reserve(receiver);

    slot.release();
    expect(slot.state).toBe('released');
    expect(receiver.snapshot()).toMatchObject({ depth: 0, reserved: 0 });
    slot.release();
    expect(receiver.snapshot().counters.released).toBe(1);
  });

  it('ignores a release after the enqueue', async () => {
    const { process } = controlledProcess<string>();
    const receiver = createBackpressure({ capacity: 10, concurrency: 1, process });
    reserve(receiver);
    const slot = reserve(receiver);
    await slot.enqueue('a');
    const before = receiver.snapshot();

    slot.release();
    expect(slot.state).toBe('enqueued');
    const after = receiver.snapshot();
    expect(after).toMatchObject({ depth: before.depth, reserved: 1, queued: before.queued });
    expect(after.counters.released).toBe(0);
  });

  it('admits and enqueues in one step with push()', async () => {
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({
      capacity: 2,
      highWatermark: 1,
      lowWatermark: 0,
      concurrency: 1,
      process,
    });

    await expect(receiver.push('a')).resolves.toBe(admitted);
    await expect(receiver.push('b')).resolves.toBe(admitted);
    await expect(receiver.push('c')).resolves.toMatchObject({
      admitted: false,
      reason: 'saturated',
    });
    await settle();
    expect(calls.map((call) => call.event)).toEqual(['a']);
  });

  it('resolves onIdle once nothing is queued, reserved or running', async () => {
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({ capacity: 10, concurrency: 1, process });
    await receiver.onIdle();
    await receiver.push('a');
    const slot = reserve(receiver);
    let idle = false;
    void receiver.onIdle().then(() => (idle = true));

    await settle();
    calls[0]!.resolve();
    await settle();
    expect(idle).toBe(false);
    slot.release();
    await settle();
    expect(idle).toBe(true);
  });

  it('reports its state in a snapshot', async () => {
    let now = 0;
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({
      capacity: 10,
      concurrency: 1,
      process,
      clock: () => now,
      tracking: { minSamples: 1, refreshMs: 0 },
    });
    await receiver.push('a');
    await receiver.push('b');
    reserve(receiver);
    await settle();
    now = 500;
    calls[0]!.resolve();
    await settle();
    now = 1_000;

    expect(receiver.snapshot()).toEqual({
      capacity: 10,
      depth: 1,
      queued: 0,
      reserved: 1,
      inFlight: 1,
      concurrency: 1,
      highWatermark: 8,
      lowWatermark: 5,
      accepting: true,
      pausedBy: undefined,
      closing: false,
      closed: false,
      // One completion in the 500 ms since the first one: 2 per second.
      drainRatePerSecond: 2,
      dwell: { samples: 2, p50Ms: 0, p95Ms: 500, p99Ms: 500 },
      processing: { samples: 1, p50Ms: 500, p95Ms: 500, p99Ms: 500 },
      signals: {},
      counters: {
        admitted: 3,
        rejected: 0,
        rejectedByReason: {},
        enqueued: 2,
        released: 0,
        processed: 1,
        failedAttempts: 0,
        retried: 0,
        deadLettered: 0,
        returned: 0,
      },
    });
  });

  it('hands out a snapshot that later changes do not alter', () => {
    const receiver = createBackpressure<string>({ capacity: 10, process: () => undefined });
    const snapshot = receiver.snapshot();
    reserve(receiver);

    expect(snapshot.depth).toBe(0);
    expect(snapshot.counters.admitted).toBe(0);
  });

  it('rejects as queue_full when a shared queue has no slot although the gate is open', () => {
    const backend = new BoundedQueue<string>({ capacity: 10 });
    const receiver = createBackpressure<string>({
      process: () => undefined,
      queue: {
        capacity: 10,
        get size() {
          return backend.size;
        },
        get reserved() {
          return backend.reserved;
        },
        // Another process holds the remaining slots of the shared budget.
        tryReserve: () => false,
        release: () => {
          backend.release();
        },
        enqueueReserved: (event) => {
          backend.enqueueReserved(event);
        },
        dequeue: () => backend.dequeue(),
        drain: () => backend.drain(),
      },
    });

    expect(refuse(receiver)).toMatchObject({ status: 429, reason: 'queue_full' });
    expect(receiver.snapshot().counters.rejectedByReason).toEqual({ queue_full: 1 });
  });

  it('bases Retry-After on what busy workers drain, not on a rate that lags the spike', async () => {
    let now = 0;
    const { process, calls } = controlledProcess<number>();
    const receiver = createBackpressure({
      capacity: 100,
      highWatermark: 50,
      lowWatermark: 10,
      concurrency: 2,
      process,
      clock: () => now,
      random: () => 0,
      tracking: { minSamples: 1, refreshMs: 0 },
    });
    now = 60_000;
    await receiver.push(0);
    await receiver.push(1);
    await settle();
    // Two events took 100 ms each: too few completions yet for the smoothed rate to say much.
    now += 100;
    calls[0]!.resolve();
    calls[1]!.resolve();
    await settle();
    for (let id = 2; receiver.isAccepting; id++) await receiver.push(id);

    // Two workers at 100 ms an event drain 20 events a second: the 40 above the low watermark
    // take 2 s, where the measured rate alone would have promised much longer.
    expect(refuse(receiver).retryAfterSeconds).toBe(2);
    expect(receiver.snapshot().drainRatePerSecond).toBeLessThan(20);
  });
});
