import { describe, expect, it } from 'vitest';

import {
  ClosedError,
  createBackpressure,
  type PauseEvent,
  type Rejection,
} from '../../src/index.js';
import { controlledProcess, deferred, refuse, reserve, settle } from './fixtures.js';

describe('close()', () => {
  it('closes an idle receiver at once and says it drained', async () => {
    const receiver = createBackpressure<string>({ process: () => undefined });
    const pauses: PauseEvent[] = [];
    receiver.onPause((event) => pauses.push(event));

    const closing = receiver.close();
    expect(receiver.isClosing).toBe(true);
    expect(receiver.isClosed).toBe(false);
    expect(pauses).toEqual([{ reason: 'closing', depth: 0 }]);
    await expect(closing).resolves.toEqual({ unprocessed: [], interrupted: [], drained: true });
    expect(receiver.isClosed).toBe(true);
    expect(receiver.snapshot()).toMatchObject({ closing: true, closed: true, accepting: false });
  });

  it('returns the same promise when called again', () => {
    const receiver = createBackpressure<string>({ process: () => undefined });

    const first = receiver.close({ timeoutMs: 0 });
    expect(receiver.close({ timeoutMs: 5_000 })).toBe(first);
  });

  it('rejects every request with 503 and reason closing while it runs', () => {
    const receiver = createBackpressure<string>({
      process: () => undefined,
      retryAfter: { minSeconds: 2 },
    });
    const rejections: Rejection[] = [];
    receiver.onReject((rejection) => rejections.push(rejection));
    reserve(receiver);
    void receiver.close({ timeoutMs: Infinity });

    const rejection = refuse(receiver);
    expect(rejection).toEqual({
      admitted: false,
      status: 503,
      reason: 'closing',
      retryAfterSeconds: 2,
    });
    expect(rejections).toEqual([rejection]);
    expect(receiver.isAccepting).toBe(false);
    expect(receiver.snapshot()).toMatchObject({
      pausedBy: 'closing',
      closing: true,
      closed: false,
    });
    expect(receiver.snapshot().counters.rejectedByReason).toEqual({ closing: 1 });
  });

  it('emits no second pause when the gate was already closed', async () => {
    const receiver = createBackpressure<string>({
      capacity: 2,
      highWatermark: 1,
      lowWatermark: 0,
      process: () => undefined,
    });
    const pauses: PauseEvent[] = [];
    receiver.onPause((event) => pauses.push(event));
    const slot = reserve(receiver);
    refuse(receiver);

    const closing = receiver.close({ timeoutMs: Infinity });
    slot.release();
    await closing;
    expect(pauses).toEqual([{ reason: 'saturated', depth: 1 }]);
  });

  it('waits for uploads in progress, the queue and running jobs before it resolves', async () => {
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({ process, concurrency: 1 });
    await receiver.push('a');
    await receiver.push('b');
    const upload = reserve(receiver);
    let result: unknown;
    void receiver.close({ timeoutMs: Infinity }).then((value) => (result = value));

    await upload.enqueue('c');
    for (const event of ['a', 'b', 'c']) {
      await settle();
      expect(calls.at(-1)!.event).toBe(event);
      expect(result).toBeUndefined();
      calls.at(-1)!.resolve();
    }

    await settle();
    expect(result).toEqual({ unprocessed: [], interrupted: [], drained: true });
    expect(receiver.snapshot().counters).toMatchObject({ enqueued: 3, processed: 3, returned: 0 });
  });

  it('hands back queued and running events at the deadline and aborts the running ones', async () => {
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({ process, concurrency: 2 });
    for (const event of ['a', 'b', 'c', 'd']) await receiver.push(event);
    await settle();
    expect(calls.map((call) => call.event)).toEqual(['a', 'b']);

    const result = await receiver.close({ timeoutMs: 0 });
    expect(result).toEqual({ unprocessed: ['c', 'd'], interrupted: ['a', 'b'], drained: false });
    expect(calls.every((call) => call.context.signal.aborted)).toBe(true);
    await settle();
    expect(calls).toHaveLength(2);
    expect(receiver.snapshot()).toMatchObject({ depth: 0, queued: 0, inFlight: 0, closed: true });
    expect(receiver.snapshot().counters).toMatchObject({ processed: 0, returned: 4 });
  });

  it('does not count work that ends after it was handed back', async () => {
    // A consumer that ignores the abort signal and settles late.
    const late = [deferred(), deferred()];
    let call = 0;
    const receiver = createBackpressure<string>({
      process: () => late[call++]!.promise,
      retry: { maxAttempts: 1 },
      concurrency: 2,
    });
    await receiver.push('a');
    await receiver.push('b');
    await settle();

    const result = await receiver.close({ timeoutMs: 0 });
    late[0]!.resolve();
    late[1]!.reject(new Error('late'));
    await settle();
    expect(result.interrupted).toEqual(['a', 'b']);
    expect(receiver.snapshot().counters).toMatchObject({
      processed: 0,
      failedAttempts: 0,
      deadLettered: 0,
      returned: 2,
    });
  });

  it('interrupts an event waiting for its retry and never attempts it again', async () => {
    let attempts = 0;
    const receiver = createBackpressure<string>({
      process: () => {
        attempts++;
        throw new Error('down');
      },
      retry: { initialDelayMs: 60_000 },
    });
    await receiver.push('a');
    await settle();
    expect(receiver.snapshot().counters).toMatchObject({ failedAttempts: 1, retried: 1 });

    await expect(receiver.close({ timeoutMs: 0 })).resolves.toEqual({
      unprocessed: [],
      interrupted: ['a'],
      drained: false,
    });
    await settle();
    expect(attempts).toBe(1);
  });

  it('rejects a late enqueue with ClosedError and gives its slot back', async () => {
    const receiver = createBackpressure<string>({ process: () => undefined });
    const slot = reserve(receiver);
    await expect(receiver.close({ timeoutMs: 0 })).resolves.toMatchObject({ drained: false });
    expect(receiver.snapshot()).toMatchObject({ reserved: 1, closed: true });

    await expect(slot.enqueue('late')).rejects.toThrow(ClosedError);
    // The slot holds nothing: it reads as released, and releasing it again changes nothing.
    expect(slot.state).toBe('released');
    slot.release();
    expect(receiver.snapshot()).toMatchObject({ depth: 0, reserved: 0 });
    expect(receiver.snapshot().counters).toMatchObject({ enqueued: 0, released: 1 });
    await expect(receiver.push('later')).resolves.toMatchObject({ reason: 'closing' });
  });
});
