import { describe, expect, it } from 'vitest';

import {
  HysteresisGate,
  OptionRangeError,
  OptionTypeError,
  hysteresis,
  nextGateState,
  openGate,
} from '../../src/index.js';

describe('hysteresis', () => {
  it('closes at the high mark, reopens at the low mark and holds in between', () => {
    expect(hysteresis(true, 80, 80, 40)).toBe(false);
    expect(hysteresis(true, 79, 80, 40)).toBe(true);
    expect(hysteresis(false, 79, 80, 40)).toBe(false);
    expect(hysteresis(false, 41, 80, 40)).toBe(false);
    expect(hysteresis(false, 40, 80, 40)).toBe(true);
    expect(hysteresis(true, 0, 80, 40)).toBe(true);
  });
});

describe('nextGateState', () => {
  const thresholds = { highWatermark: 8, lowWatermark: 4, dwellHighMs: 500, dwellLowMs: 100 };

  it('keeps each input on its own hysteresis', () => {
    const closedByDepth = nextGateState(openGate, { depth: 8, dwellMs: 0 }, thresholds);
    expect(closedByDepth).toEqual({ depthOpen: false, dwellOpen: true });

    const closedByBoth = nextGateState(closedByDepth, { depth: 5, dwellMs: 500 }, thresholds);
    expect(closedByBoth).toEqual({ depthOpen: false, dwellOpen: false });

    // Dwell falling to its low mark reopens the dwell input only: depth is still in its band.
    const dwellReopened = nextGateState(closedByBoth, { depth: 5, dwellMs: 100 }, thresholds);
    expect(dwellReopened).toEqual({ depthOpen: false, dwellOpen: true });

    expect(nextGateState(dwellReopened, { depth: 4, dwellMs: 300 }, thresholds)).toBe(openGate);
  });

  it('returns the same shared state object for equal states', () => {
    const a = nextGateState(openGate, { depth: 9, dwellMs: 0 }, thresholds);
    const b = nextGateState(a, { depth: 6, dwellMs: 0 }, thresholds);

    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('HysteresisGate', () => {
  it('resolves fractional watermarks, rounding the high one up and the low one down', () => {
    const gate = new HysteresisGate({ capacity: 10, highWatermark: 0.75, lowWatermark: 0.35 });

    expect(gate.highWatermark).toBe(8);
    expect(gate.lowWatermark).toBe(3);
    expect(gate.dwellHighMs).toBe(Infinity);
    expect(gate.dwellLowMs).toBe(0);
  });

  it('defaults to 80% and 50% of capacity', () => {
    const gate = new HysteresisGate({ capacity: 1000 });

    expect(gate.highWatermark).toBe(800);
    expect(gate.lowWatermark).toBe(500);
  });

  it('takes whole numbers as slot counts', () => {
    const gate = new HysteresisGate({ capacity: 10, highWatermark: 1, lowWatermark: 0 });

    expect(gate.highWatermark).toBe(1);
    expect(gate.lowWatermark).toBe(0);
  });

  it('closes at the high watermark and stays closed until depth falls to the low one', () => {
    const gate = new HysteresisGate({ capacity: 10, highWatermark: 8, lowWatermark: 4 });
    expect(gate.isOpen).toBe(true);
    expect(gate.closedBy).toBeUndefined();
    expect(gate.state).toBe(openGate);

    expect(gate.update(7)).toBe(true);
    expect(gate.closedBy).toBeUndefined();
    expect(gate.update(8)).toBe(false);
    expect(gate.isOpen).toBe(false);
    expect(gate.closedBy).toBe('depth');
    expect(gate.update(5)).toBe(false);
    expect(gate.closedBy).toBe('depth');
    expect(gate.update(4)).toBe(true);
    expect(gate.closedBy).toBeUndefined();
    expect(gate.update(7)).toBe(true);
  });

  it('closes on dwell and reports depth as the cause when both hold it closed', () => {
    const gate = new HysteresisGate({ capacity: 10, dwell: { highMs: 1_000, lowMs: 200 } });
    expect(gate.dwellHighMs).toBe(1_000);
    expect(gate.dwellLowMs).toBe(200);

    expect(gate.update(1, 999)).toBe(true);
    expect(gate.update(1, 1_000)).toBe(false);
    expect(gate.closedBy).toBe('dwell');
    expect(gate.update(9, 500)).toBe(false);
    expect(gate.closedBy).toBe('depth');
    expect(gate.update(6, 200)).toBe(false);
    expect(gate.closedBy).toBe('depth');
    expect(gate.update(5, 900)).toBe(true);
    expect(gate.closedBy).toBeUndefined();
  });

  it('ignores dwell when no dwell bounds are set', () => {
    const gate = new HysteresisGate({ capacity: 10 });

    expect(gate.update(0, 1e12)).toBe(true);
  });

  it('rejects a low watermark at or above the high one', () => {
    expect(() => new HysteresisGate({ capacity: 10, highWatermark: 5, lowWatermark: 5 })).toThrow(
      OptionRangeError,
    );
    expect(() => new HysteresisGate({ capacity: 10, highWatermark: 5, lowWatermark: 6 })).toThrow(
      /^Expected `lowWatermark` to be below highWatermark \(5; .*1 is one slot.*\), got number 6$/,
    );
    // Fractions that resolve to the same count conflict as well.
    expect(
      () => new HysteresisGate({ capacity: 2, highWatermark: 0.4, lowWatermark: 0.9 }),
    ).toThrow(OptionRangeError);
  });

  it('rejects watermarks that are not counts within capacity or fractions', () => {
    expect(() => new HysteresisGate({ capacity: 10, highWatermark: 0 })).toThrow(
      'Expected `highWatermark` to be at least 1 slot, got number 0',
    );
    expect(() => new HysteresisGate({ capacity: 10, highWatermark: 11 })).toThrow(
      'Expected `highWatermark` to be a finite number from 0 to 10, got number 11',
    );
    expect(() => new HysteresisGate({ capacity: 10, highWatermark: 2.5 })).toThrow(
      'Expected `highWatermark` to be a whole count from 0 to 10 or a fraction between 0 and 1, got number 2.5',
    );
    expect(() => new HysteresisGate({ capacity: 10, lowWatermark: -1 })).toThrow(OptionRangeError);
    expect(() => new HysteresisGate({ capacity: 10, highWatermark: '8' as never })).toThrow(
      OptionTypeError,
    );
    expect(() => new HysteresisGate({ capacity: 10, highWatermark: Number.NaN })).toThrow(
      OptionTypeError,
    );
  });

  it('rejects dwell bounds that are inverted, negative or of the wrong type', () => {
    expect(() => new HysteresisGate({ capacity: 10, dwell: { highMs: 100, lowMs: 100 } })).toThrow(
      'Expected `dwell.lowMs` to be below dwell.highMs (100), got number 100',
    );
    expect(() => new HysteresisGate({ capacity: 10, dwell: { highMs: -1, lowMs: 0 } })).toThrow(
      OptionRangeError,
    );
    expect(() => new HysteresisGate({ capacity: 10, dwell: 5 as never })).toThrow(
      'Expected `dwell` to be an object, got number 5',
    );
    expect(
      () => new HysteresisGate({ capacity: 10, dwell: { highMs: '1' as never, lowMs: 0 } }),
    ).toThrow(OptionTypeError);
  });

  it('rejects a capacity that is not a whole positive number', () => {
    expect(() => new HysteresisGate({ capacity: 0 })).toThrow(OptionRangeError);
    expect(() => new HysteresisGate({} as never)).toThrow(OptionTypeError);
  });
});
