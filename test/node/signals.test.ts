import { performance } from 'node:perf_hooks';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  createBackpressure,
  OptionRangeError,
  OptionTypeError,
  type Admission,
  type Backpressure,
  type SignalReason,
} from '../../src/index.js';
import {
  eventLoopDelaySignal,
  eventLoopUtilizationSignal,
  heapUsedSignal,
  rssSignal,
  type ProcessSignal,
} from '../../src/node/signals.js';

interface SignalCase {
  readonly reason: SignalReason;
  /** Milliseconds between two readings with the options below. */
  readonly refreshMs: number;
  readonly high: number;
  readonly between: number;
  readonly low: number;
  readonly build: (sample: () => number) => ProcessSignal;
}

const cases: SignalCase[] = [
  {
    reason: 'event_loop_delay',
    refreshMs: 500,
    high: 100,
    between: 60,
    low: 20,
    build: (sample) => eventLoopDelaySignal({ highMs: 100, lowMs: 20, windowMs: 1_000, sample }),
  },
  {
    reason: 'event_loop_utilization',
    refreshMs: 250,
    high: 0.9,
    between: 0.7,
    low: 0.5,
    build: (sample) => eventLoopUtilizationSignal({ high: 0.9, low: 0.5, windowMs: 500, sample }),
  },
  {
    reason: 'heap_used',
    refreshMs: 1_000,
    high: 800e6,
    between: 600e6,
    low: 400e6,
    build: (sample) => heapUsedSignal({ highBytes: 800e6, lowBytes: 400e6, sample }),
  },
  {
    reason: 'rss',
    refreshMs: 200,
    high: 2e9,
    between: 1.5e9,
    low: 1e9,
    build: (sample) => rssSignal({ highBytes: 2e9, lowBytes: 1e9, sampleIntervalMs: 200, sample }),
  },
];

/** Asks for admission and gives an admitted slot straight back. */
function decide(receiver: Backpressure<unknown>): Admission<unknown> {
  const admission = receiver.tryAdmit();
  if (admission.admitted) admission.release();
  return admission;
}

function receiverWith(signal: ProcessSignal): Backpressure<unknown> {
  return createBackpressure<unknown>({ process: () => undefined, signals: [signal] });
}

describe.each(cases)('the $reason signal', (signalCase) => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('closes the gate with its reason at high, holds it between, and reopens at low', async () => {
    let reading = signalCase.low;
    const receiver = receiverWith(signalCase.build(() => reading));
    const changes: string[] = [];
    receiver.onPause((event) => changes.push(`pause:${event.reason}`));
    receiver.onResume(() => changes.push('resume'));
    const next = (value: number): Admission<unknown> => {
      reading = value;
      vi.advanceTimersByTime(signalCase.refreshMs);
      return decide(receiver);
    };

    expect(decide(receiver).admitted).toBe(true);
    expect(next(signalCase.high)).toMatchObject({ admitted: false, reason: signalCase.reason });
    expect(receiver.snapshot().signals[signalCase.reason]).toBe(signalCase.high);
    expect(receiver.snapshot().pausedBy).toBe(signalCase.reason);
    expect(next(signalCase.between)).toMatchObject({ admitted: false, reason: signalCase.reason });
    expect(next(signalCase.low).admitted).toBe(true);
    expect(receiver.snapshot().signals[signalCase.reason]).toBe(signalCase.low);
    expect(changes).toEqual([`pause:${signalCase.reason}`, 'resume']);
    await receiver.close();
  });

  it('does not flap while readings wander between the thresholds', async () => {
    let reading = signalCase.between;
    const receiver = receiverWith(signalCase.build(() => reading));
    let changes = 0;
    receiver.onPause(() => changes++);
    receiver.onResume(() => changes++);
    const justBelowHigh = signalCase.high - (signalCase.high - signalCase.between) / 10;
    const justAboveLow = signalCase.low + (signalCase.between - signalCase.low) / 10;
    const wander = (expected: boolean): void => {
      for (const value of [justAboveLow, justBelowHigh, signalCase.between, justAboveLow]) {
        reading = value;
        vi.advanceTimersByTime(signalCase.refreshMs);
        expect(decide(receiver).admitted).toBe(expected);
      }
    };

    wander(true);
    reading = signalCase.high;
    vi.advanceTimersByTime(signalCase.refreshMs);
    expect(decide(receiver).admitted).toBe(false);
    wander(false);
    expect(changes).toBe(1);
    await receiver.close();
  });

  it('starts on the first admission decision and reads a cached value after that', async () => {
    const sample = vi.fn(() => signalCase.low);
    const signal = signalCase.build(sample);
    const receiver = receiverWith(signal);
    expect(sample).not.toHaveBeenCalled();
    expect(signal.isRunning).toBe(false);
    expect(vi.getTimerCount()).toBe(0);

    decide(receiver);
    decide(receiver);
    receiver.snapshot();
    expect(sample).toHaveBeenCalledTimes(1);
    expect(signal.isRunning).toBe(true);
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(signalCase.refreshMs * 3);
    expect(sample).toHaveBeenCalledTimes(4);
    await receiver.close();
  });

  it('stops sampling when the receiver closes, keeping its last reading', async () => {
    const sample = vi.fn(() => signalCase.between);
    const signal = signalCase.build(sample);
    const receiver = receiverWith(signal);
    decide(receiver);

    await receiver.close();
    expect(signal.isRunning).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(signalCase.refreshMs * 3);
    expect(sample).toHaveBeenCalledTimes(1);
    expect(signal.read()).toBe(signalCase.between);
  });

  it('keeps the last reading when a sample is not a finite number', () => {
    let reading = signalCase.between;
    const signal = signalCase.build(() => reading);
    signal.start();
    reading = Number.NaN;
    vi.advanceTimersByTime(signalCase.refreshMs);
    expect(signal.read()).toBe(signalCase.between);
    signal.stop();
  });
});

describe('process signals on real timers', () => {
  it('sample on timers that never hold the process open', () => {
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    try {
      for (const { build } of cases) {
        const signal = build(() => 0);
        signal.start();
        const timer = setIntervalSpy.mock.results.at(-1)?.value as NodeJS.Timeout;
        expect(timer.hasRef()).toBe(false);
        signal.stop();
        signal.stop();
      }

      expect(setIntervalSpy).toHaveBeenCalledTimes(cases.length);
    } finally {
      setIntervalSpy.mockRestore();
    }
  });

  it('reads a rising event-loop delay while the loop is blocked', async () => {
    const signal = eventLoopDelaySignal({
      highMs: 1_000,
      lowMs: 500,
      sampleIntervalMs: 10,
      windowMs: 200,
    });
    signal.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      busyWait(100);
      await waitFor(() => signal.read() >= 50);
      expect(signal.read()).toBeGreaterThanOrEqual(50);
    } finally {
      signal.stop();
    }
  });

  it('sees a stall that begins inside the refresh timer', async () => {
    const realSetInterval = globalThis.setInterval;
    let stallAfterRefresh = false;
    // Runs the signal's own refresh, then blocks the loop from inside the same callback.
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((
      callback: () => void,
      ms: number,
    ) =>
      realSetInterval(() => {
        callback();
        if (!stallAfterRefresh) return;
        stallAfterRefresh = false;
        busyWait(100);
      }, ms)) as typeof setInterval);
    const signal = eventLoopDelaySignal({
      highMs: 1_000,
      lowMs: 500,
      sampleIntervalMs: 10,
      windowMs: 200,
    });
    signal.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 250));
      stallAfterRefresh = true;
      await waitFor(() => signal.read() >= 50);
      expect(signal.read()).toBeGreaterThanOrEqual(50);
    } finally {
      signal.stop();
      setIntervalSpy.mockRestore();
    }
  });

  it('sees a stall that begins right after a monitor is read and reset', async () => {
    const realSetInterval = globalThis.setInterval;
    const realSetImmediate = globalThis.setImmediate;
    let stallPending = false;
    // Tells the signal's own callbacks apart: its refresh timer schedules an immediate, which
    // schedules the one that reads and resets a monitor.
    let scope: 'refresh' | 'first turn' | undefined;
    const within = (next: typeof scope, run: () => void): void => {
      const saved = scope;
      scope = next;
      try {
        run();
      } finally {
        scope = saved;
      }
    };
    vi.spyOn(globalThis, 'setInterval').mockImplementation(((callback: () => void, ms: number) =>
      realSetInterval(() => {
        within('refresh', callback);
      }, ms)) as typeof setInterval);
    vi.spyOn(globalThis, 'setImmediate').mockImplementation((callback: () => void) => {
      if (scope === 'refresh') {
        return realSetImmediate(() => {
          within('first turn', callback);
        });
      }

      if (scope === 'first turn') {
        return realSetImmediate(() => {
          callback();
          if (!stallPending) return;
          stallPending = false;
          busyWait(100);
        });
      }

      return realSetImmediate(callback);
    });
    const signal = eventLoopDelaySignal({
      highMs: 1_000,
      lowMs: 500,
      sampleIntervalMs: 10,
      windowMs: 200,
    });
    signal.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 250));
      stallPending = true;
      await waitFor(() => signal.read() >= 50);
      expect(stallPending).toBe(false);
      expect(signal.read()).toBeGreaterThanOrEqual(50);
    } finally {
      signal.stop();
      vi.restoreAllMocks();
    }
  });

  it('reads a rising event-loop utilisation while the loop is busy', async () => {
    const signal = eventLoopUtilizationSignal({ high: 0.99, low: 0.9, windowMs: 200 });
    signal.start();
    try {
      expect(signal.read()).toBe(0);
      busyWait(100);
      await waitFor(() => signal.read() >= 0.3);
      expect(signal.read()).toBeGreaterThanOrEqual(0.3);
      expect(signal.read()).toBeLessThanOrEqual(1);
    } finally {
      signal.stop();
    }
  });

  it('reads the heap and the resident set in bytes from the first decision', () => {
    const heap = heapUsedSignal({ highBytes: 2e12, lowBytes: 1e12 });
    const rss = rssSignal({ highBytes: 2e12, lowBytes: 1e12 });
    heap.start();
    rss.start();
    expect(heap.read()).toBeGreaterThan(1e6);
    expect(rss.read()).toBeGreaterThan(1e6);
    heap.stop();
    rss.stop();
  });
});

describe('process signal options', () => {
  it('are checked when the signal is built', () => {
    const build = (factory: (options: never) => unknown, options: unknown) => () =>
      factory(options as never);

    expect(build(eventLoopDelaySignal, undefined)).toThrow(OptionTypeError);
    expect(build(eventLoopDelaySignal, { highMs: 10 })).toThrow(/`lowMs` to be a number/);
    expect(build(eventLoopDelaySignal, { highMs: 10, lowMs: 10 })).toThrow(
      /`lowMs` to be below highMs \(10\), got number 10/,
    );
    expect(build(eventLoopDelaySignal, { highMs: 10, lowMs: 1, sampleIntervalMs: 2.5 })).toThrow(
      OptionRangeError,
    );
    expect(build(eventLoopDelaySignal, { highMs: 10, lowMs: 1, windowMs: 15 })).toThrow(
      /`windowMs` to be at least twice sampleIntervalMs \(20\)/,
    );
    expect(build(eventLoopUtilizationSignal, { high: 1.5, low: 0.5 })).toThrow(OptionRangeError);
    expect(build(eventLoopUtilizationSignal, { high: 0.9, low: -0.1 })).toThrow(OptionRangeError);
    expect(build(eventLoopUtilizationSignal, { high: 0.5, low: 0.9 })).toThrow(/`low`/);
    expect(build(heapUsedSignal, { highBytes: '1GB', lowBytes: 1 })).toThrow(OptionTypeError);
    expect(build(heapUsedSignal, { highBytes: 2, lowBytes: 1, sampleIntervalMs: 0 })).toThrow(
      OptionRangeError,
    );
    expect(build(rssSignal, { highBytes: 2, lowBytes: 1, sample: 'x' })).toThrow(/`sample`/);
  });

  it('are accepted by the receiver as gate inputs', () => {
    expect(() =>
      createBackpressure({
        process: () => undefined,
        signals: [
          eventLoopDelaySignal({ highMs: 200, lowMs: 50 }),
          eventLoopUtilizationSignal({ high: 0.95, low: 0.8 }),
          heapUsedSignal({ highBytes: 2e9, lowBytes: 1e9 }),
          rssSignal({ highBytes: 3e9, lowBytes: 2e9 }),
        ],
      }),
    ).not.toThrow();
  });
});

/** Keeps the event loop busy for `ms` milliseconds. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Spinning on purpose: the point is to hold the loop.
  }
}

/** Lets the loop turn until `done()` holds, for at most 40 turns of 25 ms. */
async function waitFor(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 40 && !done(); turn++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
