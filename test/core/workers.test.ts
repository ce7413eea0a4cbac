import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createBackpressure, type DeadLetter, type ProcessContext } from '../../src/index.js';
import { controlledProcess, recordingLogger, settle } from './fixtures.js';

describe('the workers', () => {
  it('run at most `concurrency` events at a time, oldest first', async () => {
    const { process, calls } = controlledProcess<number>();
    const receiver = createBackpressure({ process, concurrency: 2 });
    for (let event = 0; event < 5; event++) await receiver.push(event);
    await settle();

    expect(calls.map((call) => call.event)).toEqual([0, 1]);
    expect(receiver.snapshot()).toMatchObject({ inFlight: 2, queued: 3 });
    calls[1]!.resolve();
    await settle();
    expect(calls.map((call) => call.event)).toEqual([0, 1, 2]);
    expect(receiver.snapshot()).toMatchObject({ inFlight: 2, queued: 2 });
    calls[0]!.resolve();
    calls[2]!.resolve();
    await settle();
    expect(calls.map((call) => call.event)).toEqual([0, 1, 2, 3, 4]);
    expect(receiver.snapshot().counters.processed).toBe(3);
  });

  it('record the time each event spends in process', async () => {
    let now = 0;
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({
      process,
      clock: () => now,
      tracking: { minSamples: 1, refreshMs: 0 },
    });
    await receiver.push('a');
    await settle();

    now = 120;
    calls[0]!.resolve();
    await settle();
    expect(receiver.snapshot().processing).toMatchObject({ samples: 1, p50Ms: 120 });
  });

  it('finish an event whose process answers synchronously before enqueue resolves', async () => {
    const seen: number[] = [];
    const receiver = createBackpressure<number>({
      process: (event) => {
        seen.push(event);
      },
    });

    await receiver.push(1);
    await receiver.push(2);

    expect(seen).toEqual([1, 2]);
    expect(receiver.snapshot()).toMatchObject({ depth: 0, inFlight: 0 });
    expect(receiver.snapshot().counters).toMatchObject({ enqueued: 2, processed: 2 });
  });

  it('treat a synchronous throw like a rejected promise', async () => {
    const letters: DeadLetter<string>[] = [];
    const failure = new Error('sync failure');
    const receiver = createBackpressure<string>({
      process: () => {
        throw failure;
      },
      retry: { maxAttempts: 1 },
      onDeadLetter: (letter) => {
        letters.push(letter);
      },
    });
    await receiver.push('a');
    await settle();

    expect(letters).toEqual([{ event: 'a', error: failure, attempts: 1 }]);
    expect(receiver.snapshot().counters).toMatchObject({ failedAttempts: 1, deadLettered: 1 });
  });

  it('warn through the logger about a dead letter nobody handles', async () => {
    const logger = recordingLogger();
    const receiver = createBackpressure<string>({
      process: () => Promise.reject(new Error('db down')),
      retry: { maxAttempts: 1 },
      logger,
    });
    await receiver.push('a');
    await settle();

    expect(logger.warnings).toEqual([
      'backpressure: an event failed 1 attempts and no onDeadLetter handler is set (1 so far): Error: db down',
    ]);
  });

  it('stay quiet about a dead letter when a listener takes it', async () => {
    const logger = recordingLogger();
    const letters: DeadLetter<string>[] = [];
    const receiver = createBackpressure<string>({
      process: () => Promise.reject(new Error('db down')),
      retry: { maxAttempts: 1 },
      logger,
    });
    const dispose = receiver.onDeadLetter((letter) => letters.push(letter));
    await receiver.push('a');
    await settle();
    dispose();
    await receiver.push('b');
    await settle();

    expect(letters.map((letter) => letter.event)).toEqual(['a']);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain('(2 so far)');
  });

  it('report an onDeadLetter handler that throws or rejects', async () => {
    const logger = recordingLogger();
    let calls = 0;
    const receiver = createBackpressure<string>({
      process: () => Promise.reject(new Error('db down')),
      retry: { maxAttempts: 1 },
      logger,
      onDeadLetter: () => {
        calls++;
        if (calls === 1) throw new Error('store down');
        return Promise.reject(new Error('store still down'));
      },
    });
    await receiver.push('a');
    await receiver.push('b');
    await settle();

    expect(logger.warnings).toEqual([
      'backpressure: onDeadLetter threw: Error: store down',
      'backpressure: onDeadLetter threw: Error: store still down',
    ]);
    expect(receiver.snapshot().counters.deadLettered).toBe(2);
  });
});

describe('retries', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('back off exponentially up to the maximum delay, then dead-letter with the attempt count', async () => {
    const contexts: ProcessContext[] = [];
    const letters: DeadLetter<string>[] = [];
    const listened: DeadLetter<string>[] = [];
    const receiver = createBackpressure<string>({
      process: (_event, context) => {
        contexts.push(context);
        return Promise.reject(new Error(`attempt ${context.attempt}`));
      },
      retry: { maxAttempts: 4, initialDelayMs: 100, factor: 2, maxDelayMs: 300 },
      onDeadLetter: (letter) => {
        letters.push(letter);
      },
    });
    receiver.onDeadLetter((letter) => listened.push(letter));
    await receiver.push('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(contexts.map((context) => context.attempt)).toEqual([1]);

    // Delays of 100, 200 and then 300 ms (400 capped at the maximum).
    for (const [delayMs, attempt] of [
      [100, 2],
      [200, 3],
      [300, 4],
    ] as const) {
      await vi.advanceTimersByTimeAsync(delayMs - 1);
      expect(contexts).toHaveLength(attempt - 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(contexts).toHaveLength(attempt);
    }

    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ event: 'a', attempts: 4 });
    expect((letters[0]!.error as Error).message).toBe('attempt 4');
    expect(listened).toEqual(letters);
    expect(new Set(contexts.map((context) => context.signal)).size).toBe(1);
    expect(receiver.snapshot()).toMatchObject({ inFlight: 0, depth: 0 });
    expect(receiver.snapshot().counters).toMatchObject({
      processed: 0,
      failedAttempts: 4,
      retried: 3,
      deadLettered: 1,
    });
  });

  it('count an event that succeeds on a retry as processed', async () => {
    const receiver = createBackpressure<string>({
      process: (_event, context) =>
        context.attempt === 1 ? Promise.reject(new Error('blip')) : Promise.resolve(),
      retry: { initialDelayMs: 50 },
    });
    await receiver.push('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(receiver.snapshot()).toMatchObject({ inFlight: 1 });

    await vi.advanceTimersByTimeAsync(50);
    expect(receiver.snapshot()).toMatchObject({ inFlight: 0 });
    expect(receiver.snapshot().counters).toMatchObject({
      processed: 1,
      failedAttempts: 1,
      retried: 1,
      deadLettered: 0,
    });
  });
});
