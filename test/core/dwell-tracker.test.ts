import { describe, expect, it } from 'vitest';

import { DwellTracker, OptionRangeError, OptionTypeError } from '../../src/index.js';

describe('DwellTracker', () => {
  it('reports no percentile until the window holds minSamples samples', () => {
    const now = 0;
    const tracker = new DwellTracker({ clock: () => now, minSamples: 3, refreshMs: 0 });
    expect(tracker.dwell).toEqual({
      samples: 0,
      p50Ms: undefined,
      p95Ms: undefined,
      p99Ms: undefined,
    });

    tracker.recordDwell(10);
    tracker.recordDwell(30);
    expect(tracker.dwell.samples).toBe(2);
    expect(tracker.dwell.p95Ms).toBeUndefined();

    tracker.recordDwell(20);
    expect(tracker.dwell).toEqual({ samples: 3, p50Ms: 20, p95Ms: 30, p99Ms: 30 });
  });

  it('takes nearest-rank percentiles of the samples sorted numerically', () => {
    const tracker = new DwellTracker({ clock: () => 0, minSamples: 1, refreshMs: 0 });
    // Shuffled, and with values that sort differently as strings.
    for (const value of [100, 9, 55, 2, 81]) tracker.recordDwell(value);
    for (let value = 1; value <= 95; value++) tracker.recordDwell(value + 0.5);

    const summary = tracker.dwell;
    expect(summary.samples).toBe(100);
    expect(summary.p50Ms).toBe(48.5);
    expect(summary.p95Ms).toBe(91.5);
    expect(summary.p99Ms).toBe(95.5);
  });

  it('drops samples older than the window', () => {
    let now = 0;
    const tracker = new DwellTracker({
      clock: () => now,
      windowMs: 1_000,
      minSamples: 1,
      refreshMs: 0,
    });
    tracker.recordDwell(500);
    now = 600;
    tracker.recordDwell(5);

    now = 1_000;
    expect(tracker.dwell).toMatchObject({ samples: 2, p99Ms: 500 });
    now = 1_001;
    expect(tracker.dwell).toMatchObject({ samples: 1, p99Ms: 5 });
    now = 1_601;
    expect(tracker.dwell).toMatchObject({ samples: 0, p99Ms: undefined });
  });

  it('overwrites the oldest samples once the ring is full', () => {
    const tracker = new DwellTracker({
      clock: () => 0,
      sampleSize: 4,
      minSamples: 4,
      refreshMs: 0,
    });
    for (const value of [1_000, 2_000, 1, 2, 3, 4]) tracker.recordDwell(value);

    expect(tracker.dwell).toEqual({ samples: 4, p50Ms: 2, p95Ms: 4, p99Ms: 4 });
  });

  it('reuses a computed summary until refreshMs has passed', () => {
    let now = 0;
    const tracker = new DwellTracker({ clock: () => now, minSamples: 1, refreshMs: 250 });
    tracker.recordDwell(10);
    const first = tracker.dwell;
    expect(first.p50Ms).toBe(10);

    tracker.recordDwell(90);
    now = 249;
    expect(tracker.dwell).toBe(first);
    now = 250;
    expect(tracker.dwell).toMatchObject({ samples: 2, p99Ms: 90 });
  });

  it('keeps processing times apart from dwell times and counts completions as drain', () => {
    let now = 0;
    const tracker = new DwellTracker({ clock: () => now, minSamples: 1, refreshMs: 0 });
    tracker.recordDwell(7);
    tracker.recordCompletion(40);
    tracker.recordCompletion(60);

    expect(tracker.dwell).toMatchObject({ samples: 1, p50Ms: 7 });
    expect(tracker.processing).toMatchObject({ samples: 2, p50Ms: 40, p99Ms: 60 });
    now = 1_000;
    expect(tracker.drainRatePerSecond).toBe(2);
  });

  it('ticks the drain rate at the rate window when that is shorter than a second', () => {
    let now = 0;
    const tracker = new DwellTracker({ clock: () => now, rateWindowMs: 100 });
    tracker.recordCompletion(1);

    now = 100;
    expect(tracker.drainRatePerSecond).toBe(10);
  });

  it('rejects sizes, windows and sample counts out of range', () => {
    expect(() => new DwellTracker({ sampleSize: 0 })).toThrow(OptionRangeError);
    expect(() => new DwellTracker({ sampleSize: 10, minSamples: 11 })).toThrow(
      'Expected `minSamples` to be a finite number from 1 to 10, got number 11',
    );
    expect(() => new DwellTracker({ minSamples: 2.5 })).toThrow(
      'Expected `minSamples` to be an integer from 1 to 1024, got number 2.5',
    );
    expect(() => new DwellTracker({ windowMs: 0 })).toThrow(OptionRangeError);
    expect(() => new DwellTracker({ refreshMs: -1 })).toThrow(OptionRangeError);
    expect(() => new DwellTracker({ rateWindowMs: 0 })).toThrow(OptionRangeError);
    expect(() => new DwellTracker({ windowMs: '1s' as never })).toThrow(OptionTypeError);
  });
});
