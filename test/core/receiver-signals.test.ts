import { describe, expect, it, vi } from 'vitest';

import {
  createBackpressure,
  type PauseEvent,
  type PressureSignal,
  type ResumeEvent,
} from '../../src/index.js';
import { controlledProcess, refuse, reserve, settle } from './fixtures.js';

function signal(reason: PressureSignal['reason'], high: number, low: number) {
  let value = 0;
  return {
    reason,
    high,
    low,
    read: () => value,
    start: vi.fn<() => void>(),
    stop: vi.fn<() => void>(),
    set(next: number) {
      value = next;
    },
  };
}

describe('the dwell input', () => {
  it('closes the gate on a slow consumer and reopens once the queue has drained', async () => {
    let now = 0;
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({
      capacity: 100,
      concurrency: 1,
      process,
      clock: () => now,
      dwell: { highMs: 1_000, lowMs: 100 },
      tracking: { refreshMs: 0, minSamples: 1 },
      retryAfter: { jitter: 0 },
    });
    const pauses: PauseEvent[] = [];
    const resumes: ResumeEvent[] = [];
    receiver.onPause((event) => pauses.push(event));
    receiver.onResume((event) => resumes.push(event));
    await receiver.push('a');
    await receiver.push('b');
    await settle();

    now = 999;
    expect(receiver.isAccepting).toBe(true);
    now = 1_000;
    // Nothing has left the queue yet: the age of the oldest waiting event stands in for dwell.
    expect(receiver.isAccepting).toBe(false);
    expect(receiver.snapshot().pausedBy).toBe('slow_consumer');
    expect(pauses).toEqual([{ reason: 'slow_consumer', depth: 1 }]);
    expect(refuse(receiver)).toMatchObject({ status: 429, reason: 'slow_consumer' });

    calls[0]!.resolve();
    await settle();
    expect(calls[1]!.context.dwellMs).toBe(1_000);
    expect(receiver.snapshot().depth).toBe(0);
    expect(receiver.isAccepting).toBe(true);
    expect(resumes).toEqual([{ depth: 0 }]);
  });

  it('asks a slow consumer’s clients to wait at least the p95 dwell', async () => {
    let now = 0;
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({
      capacity: 100,
      concurrency: 1,
      process,
      clock: () => now,
      dwell: { highMs: 1_000, lowMs: 100 },
      tracking: { refreshMs: 0, minSamples: 1 },
      retryAfter: { jitter: 0 },
    });
    await receiver.push('a');
    await receiver.push('b');
    await receiver.push('c');
    await settle();
    now = 900;
    calls[0]!.resolve();
    await settle();
    now = 3_000;
    calls[1]!.resolve();
    await settle();
    await receiver.push('d');

    // Dwell samples of 900 and 3,000 ms give a p95 of 3 s; the backlog alone would drain in 2 s.
    expect(receiver.snapshot().dwell.p95Ms).toBe(3_000);
    expect(refuse(receiver)).toMatchObject({ reason: 'slow_consumer', retryAfterSeconds: 3 });
  });
});

describe('pressure signals', () => {
  it('close the gate with their own reason and reopen it at their low mark', () => {
    const delay = signal('event_loop_delay', 100, 50);
    const receiver = createBackpressure<string>({ process: () => undefined, signals: [delay] });
    const pauses: PauseEvent[] = [];
    receiver.onPause((event) => pauses.push(event));
    expect(delay.start).not.toHaveBeenCalled();

    reserve(receiver).release();
    expect(delay.start).toHaveBeenCalledTimes(1);

    delay.set(100);
    expect(refuse(receiver)).toMatchObject({ status: 429, reason: 'event_loop_delay' });
    expect(pauses).toEqual([{ reason: 'event_loop_delay', depth: 0 }]);
    expect(receiver.snapshot()).toMatchObject({
      pausedBy: 'event_loop_delay',
      accepting: false,
      signals: { event_loop_delay: 100 },
    });

    delay.set(70);
    expect(receiver.isAccepting).toBe(false);
    delay.set(50);
    expect(receiver.isAccepting).toBe(true);
    expect(reserve(receiver).admitted).toBe(true);
    expect(delay.start).toHaveBeenCalledTimes(1);
  });

  it('give way to the queue as the reported reason, and the first signal to later ones', () => {
    const heap = signal('heap_used', 10, 5);
    const rss = signal('rss', 10, 5);
    const receiver = createBackpressure<string>({
      capacity: 2,
      highWatermark: 1,
      lowWatermark: 0,
      process: () => undefined,
      signals: [heap, rss],
    });
    heap.set(10);
    rss.set(10);

    expect(refuse(receiver).reason).toBe('heap_used');
    heap.set(0);
    expect(refuse(receiver).reason).toBe('rss');
    rss.set(0);
    reserve(receiver);
    expect(refuse(receiver).reason).toBe('saturated');
    heap.set(10);
    expect(refuse(receiver).reason).toBe('saturated');
  });

  it('are stopped by close()', async () => {
    const delay = signal('event_loop_utilization', 0.9, 0.7);
    const receiver = createBackpressure<string>({ process: () => undefined, signals: [delay] });
    reserve(receiver).release();

    await receiver.close({ timeoutMs: 0 });
    expect(delay.start).toHaveBeenCalledTimes(1);
    expect(delay.stop).toHaveBeenCalledTimes(1);
  });

  it('are not started once the receiver is closing', async () => {
    const delay = signal('event_loop_delay', 100, 50);
    const receiver = createBackpressure<string>({ process: () => undefined, signals: [delay] });

    await receiver.close({ timeoutMs: 0 });
    receiver.snapshot();
    expect(refuse(receiver).reason).toBe('closing');
    expect(delay.start).not.toHaveBeenCalled();
  });

  it('may leave out start and stop', async () => {
    const receiver = createBackpressure<string>({
      process: () => undefined,
      signals: [{ reason: 'rss', high: 2, low: 1, read: () => 0 }],
    });

    expect(receiver.isAccepting).toBe(true);
    await expect(receiver.close({ timeoutMs: 0 })).resolves.toMatchObject({ drained: true });
  });
});
