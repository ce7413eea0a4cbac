import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';

import {
  HysteresisGate,
  OptionRangeError,
  nextGateState,
  openGate,
  type GateState,
} from '../../src/index.js';

/** What one input of the gate must do at `value`, given whether it was open before. */
function expectStep(wasOpen: boolean, isOpen: boolean, value: number, high: number, low: number) {
  if (value >= high) expect(isOpen).toBe(false);
  else if (value <= low) expect(isOpen).toBe(true);
  else expect(isOpen).toBe(wasOpen);
}

/** A capacity, whole-count watermarks with low < high, dwell bounds and a run of inputs. */
const gateRun = fc.integer({ min: 1, max: 1_000 }).chain((capacity) =>
  fc.integer({ min: 1, max: capacity }).chain((high) =>
    fc.record({
      capacity: fc.constant(capacity),
      high: fc.constant(high),
      low: fc.integer({ min: 0, max: high - 1 }),
      dwellHighMs: fc.integer({ min: 1, max: 60_000 }),
      dwellLowFraction: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      steps: fc.array(
        fc.record({
          depth: fc.integer({ min: 0, max: capacity }),
          dwellMs: fc.double({ min: 0, max: 120_000, noNaN: true }),
        }),
        { maxLength: 60 },
      ),
    }),
  ),
);

test.prop([gateRun])(
  'HysteresisGate closes at high, opens at low and holds in between, for depth and dwell',
  ({ capacity, high, low, dwellHighMs, dwellLowFraction, steps }) => {
    const dwellLowMs = Math.floor(dwellLowFraction * dwellHighMs);
    const gate = new HysteresisGate({
      capacity,
      highWatermark: high,
      lowWatermark: low,
      dwell: { highMs: dwellHighMs, lowMs: dwellLowMs },
    });
    expect(gate.highWatermark).toBe(high);
    expect(gate.lowWatermark).toBe(low);

    for (const { depth, dwellMs } of steps) {
      const before = gate.state;
      const open = gate.update(depth, dwellMs);
      const after = gate.state;

      expectStep(before.depthOpen, after.depthOpen, depth, high, low);
      expectStep(before.dwellOpen, after.dwellOpen, dwellMs, dwellHighMs, dwellLowMs);
      expect(open).toBe(after.depthOpen && after.dwellOpen);
      expect(gate.isOpen).toBe(open);
      expect(gate.closedBy).toBe(
        !after.depthOpen ? 'depth' : !after.dwellOpen ? 'dwell' : undefined,
      );
    }
  },
);

const state: fc.Arbitrary<GateState> = fc.record({
  depthOpen: fc.boolean(),
  dwellOpen: fc.boolean(),
});

const number = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 });

test.prop([state, number, number, number, number, number, number])(
  'nextGateState is the same hysteresis step for each input, independent of the other',
  (previous, depth, dwellMs, a, b, c, d) => {
    const thresholds = {
      highWatermark: Math.max(a, b),
      lowWatermark: Math.min(a, b) - 1,
      dwellHighMs: Math.max(c, d),
      dwellLowMs: Math.min(c, d) - 1,
    };
    const next = nextGateState(previous, { depth, dwellMs }, thresholds);

    expectStep(
      previous.depthOpen,
      next.depthOpen,
      depth,
      thresholds.highWatermark,
      thresholds.lowWatermark,
    );
    expectStep(
      previous.dwellOpen,
      next.dwellOpen,
      dwellMs,
      thresholds.dwellHighMs,
      thresholds.dwellLowMs,
    );
    // A second step with the same input changes nothing.
    expect(nextGateState(next, { depth, dwellMs }, thresholds)).toBe(next);
    expect(nextGateState(openGate, { depth, dwellMs }, thresholds).depthOpen).toBe(
      depth < thresholds.highWatermark,
    );
  },
);

test.prop([
  fc.integer({ min: 1, max: 10_000 }),
  fc.double({ min: 0, max: 1, minExcluded: true, maxExcluded: true, noNaN: true }),
  fc.double({ min: 0, max: 1, minExcluded: true, maxExcluded: true, noNaN: true }),
])(
  'fractional watermarks resolve to whole counts, or the gate refuses them at construction',
  (capacity, highFraction, lowFraction) => {
    const high = Math.ceil(highFraction * capacity);
    const low = Math.floor(lowFraction * capacity);
    const build = (): HysteresisGate =>
      new HysteresisGate({ capacity, highWatermark: highFraction, lowWatermark: lowFraction });

    if (low >= high) {
      expect(build).toThrow(OptionRangeError);
      return;
    }

    const gate = build();
    expect(gate.highWatermark).toBe(high);
    expect(gate.lowWatermark).toBe(low);
    expect(Number.isInteger(gate.highWatermark)).toBe(true);
    expect(gate.highWatermark).toBeGreaterThanOrEqual(1);
    expect(gate.highWatermark).toBeLessThanOrEqual(capacity);
  },
);
