import { describe, expect, it } from 'vitest';

import { DrainRateMeter, OptionRangeError, OptionTypeError } from '../../src/index.js';

const alpha = 1 - Math.exp(-1_000 / 10_000);

describe('DrainRateMeter', () => {
  it('reports zero before anything completes or any time passes', () => {
    const now = 0;
    const meter = new DrainRateMeter({ clock: () => now });

    expect(meter.ratePerSecond).toBe(0);
    meter.record();
    expect(meter.ratePerSecond).toBe(0);
  });

  it('reports the rate seen so far during the first tick', () => {
    let now = 0;
    const meter = new DrainRateMeter({ clock: () => now });
    meter.record(5);

    now = 500;
    expect(meter.ratePerSecond).toBe(10);
    now = 999;
    expect(meter.ratePerSecond).toBeCloseTo(5_000 / 999, 10);
  });

  it('takes the first whole tick as the rate, then moves towards each new tick', () => {
    let now = 0;
    const meter = new DrainRateMeter({ clock: () => now });
    meter.record(5);

    now = 1_000;
    expect(meter.ratePerSecond).toBe(5);
    meter.record(10);
    now = 1_999;
    expect(meter.ratePerSecond).toBe(5);
    now = 2_000;
    expect(meter.ratePerSecond).toBeCloseTo(5 + alpha * 5, 10);
  });

  it('decays once per idle tick, however long the meter went unread', () => {
    let now = 0;
    const meter = new DrainRateMeter({ clock: () => now });
    meter.record(20);
    now = 1_000;
    expect(meter.ratePerSecond).toBe(20);

    now = 4_500;
    expect(meter.ratePerSecond).toBeCloseTo(20 * (1 - alpha) ** 3, 10);
    now = 600_000;
    expect(meter.ratePerSecond).toBeLessThan(1e-6);
  });

  it('measures from the first completion, not from construction', () => {
    let now = 0;
    const meter = new DrainRateMeter({ clock: () => now, tickMs: 100, windowMs: 100 });
    now = 250;
    expect(meter.ratePerSecond).toBe(0);

    // Idle time before the first completion says nothing about how fast events drain.
    meter.record(3);
    now = 300;
    expect(meter.ratePerSecond).toBeCloseTo(60, 10);
    now = 350;
    expect(meter.ratePerSecond).toBeCloseTo(30, 10);
  });

  it('rejects a tick below 1 ms, a window shorter than the tick and a clock that is no function', () => {
    expect(() => new DrainRateMeter({ tickMs: 0 })).toThrow(
      'Expected `tickMs` to be a finite number >= 1, got number 0',
    );
    expect(() => new DrainRateMeter({ tickMs: 1_000, windowMs: 999 })).toThrow(OptionRangeError);
    expect(() => new DrainRateMeter({ windowMs: Infinity })).toThrow(OptionRangeError);
    expect(() => new DrainRateMeter({ clock: 'now' as never })).toThrow(OptionTypeError);
    expect(() => new DrainRateMeter([] as never)).toThrow(
      'Expected `options` to be an object, got an array',
    );
  });
});
