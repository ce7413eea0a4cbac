import { describe, expect, it } from 'vitest';

import {
  admit,
  admitted,
  retryAfterSeconds,
  type AdmissionInput,
  type AdmissionPolicy,
} from '../../src/index.js';

const policy: AdmissionPolicy = {
  rejectStatus: 429,
  closingStatus: 503,
  minRetryAfterSeconds: 1,
  maxRetryAfterSeconds: 60,
  retryAfterJitter: 0,
  fixedRetryAfterSeconds: undefined,
};

const open: AdmissionInput = {
  depth: 0,
  capacity: 1_000,
  lowWatermark: 400,
  closedBy: undefined,
  drainRatePerSecond: 0,
  p95DwellMs: undefined,
  closing: false,
  jitter: 0,
};

describe('admit', () => {
  it('admits with the one shared decision while the gate is open and a slot is free', () => {
    expect(admit(open, policy)).toBe(admitted);
    expect(admit({ ...open, depth: 999 }, policy)).toBe(admitted);
    expect(Object.isFrozen(admitted)).toBe(true);
  });

  it('rejects with the closing status during shutdown, whatever the load', () => {
    expect(admit({ ...open, closing: true }, policy)).toEqual({
      admitted: false,
      status: 503,
      reason: 'closing',
      retryAfterSeconds: 1,
    });
    expect(admit({ ...open, closing: true, closedBy: 'saturated' }, policy)).toMatchObject({
      reason: 'closing',
    });
  });

  it('tells a closing client to come back after the minimum, or the fixed value when set', () => {
    expect(admit({ ...open, closing: true }, { ...policy, minRetryAfterSeconds: 5 })).toMatchObject(
      { retryAfterSeconds: 5 },
    );
    const fixed = { ...policy, minRetryAfterSeconds: 7, maxRetryAfterSeconds: 7 };
    expect(
      admit({ ...open, closing: true }, { ...fixed, fixedRetryAfterSeconds: 7 }),
    ).toMatchObject({ retryAfterSeconds: 7 });
  });

  it('waits out the backlog above the low watermark when saturated', () => {
    const input = { ...open, depth: 850, closedBy: 'saturated', drainRatePerSecond: 150 } as const;

    expect(admit(input, policy)).toEqual({
      admitted: false,
      status: 429,
      reason: 'saturated',
      retryAfterSeconds: 3,
    });
  });

  it('rounds a partial second up', () => {
    const input = { ...open, depth: 401, closedBy: 'saturated', drainRatePerSecond: 2 } as const;

    expect(admit(input, policy)).toMatchObject({ retryAfterSeconds: 1 });
    expect(admit({ ...input, depth: 403 }, policy)).toMatchObject({ retryAfterSeconds: 2 });
  });

  it('asks a client to wait at least the p95 dwell when the consumer is slow', () => {
    const input = {
      ...open,
      depth: 10,
      closedBy: 'slow_consumer',
      drainRatePerSecond: 10,
      p95DwellMs: 8_200,
    } as const;

    expect(admit(input, policy)).toEqual({
      admitted: false,
      status: 429,
      reason: 'slow_consumer',
      retryAfterSeconds: 9,
    });
    expect(admit({ ...input, p95DwellMs: undefined }, policy)).toMatchObject({
      retryAfterSeconds: 1,
    });
  });

  it('rejects as queue_full when the gate is open but no slot is free', () => {
    const input = { ...open, depth: 1_000, drainRatePerSecond: 100 };

    expect(admit(input, policy)).toEqual({
      admitted: false,
      status: 429,
      reason: 'queue_full',
      retryAfterSeconds: 10,
    });
  });

  it('reports a pressure signal as the reason and measures the whole depth', () => {
    const input = {
      ...open,
      depth: 300,
      closedBy: 'event_loop_delay',
      drainRatePerSecond: 100,
    } as const;

    expect(admit(input, { ...policy, rejectStatus: 503 })).toEqual({
      admitted: false,
      status: 503,
      reason: 'event_loop_delay',
      retryAfterSeconds: 3,
    });
  });

  it('answers the maximum while the drain rate is unknown', () => {
    const input = { ...open, depth: 900, closedBy: 'saturated' } as const;

    expect(admit(input, policy)).toMatchObject({ retryAfterSeconds: 60 });
  });

  it('clamps the estimate into the policy bounds', () => {
    const input = { ...open, depth: 900, closedBy: 'saturated', drainRatePerSecond: 1 } as const;
    expect(admit(input, policy)).toMatchObject({ retryAfterSeconds: 60 });

    const fast = { ...input, drainRatePerSecond: 1e9 };
    expect(admit(fast, { ...policy, minRetryAfterSeconds: 4 })).toMatchObject({
      retryAfterSeconds: 4,
    });
  });

  it('lengthens the wait by the jitter draw times the jitter fraction', () => {
    const input = { ...open, depth: 500, closedBy: 'saturated', drainRatePerSecond: 10 } as const;
    const jittery = { ...policy, retryAfterJitter: 0.2 };

    expect(admit({ ...input, jitter: 0 }, jittery)).toMatchObject({ retryAfterSeconds: 10 });
    expect(admit({ ...input, jitter: 0.5 }, jittery)).toMatchObject({ retryAfterSeconds: 11 });
    expect(admit({ ...input, jitter: 0.99 }, jittery)).toMatchObject({ retryAfterSeconds: 12 });
  });

  it('uses a fixed Retry-After instead of the estimate', () => {
    const input = { ...open, depth: 900, closedBy: 'saturated', drainRatePerSecond: 1 } as const;
    const fixed = { ...policy, fixedRetryAfterSeconds: 30 };

    expect(admit(input, fixed)).toMatchObject({ retryAfterSeconds: 30 });
    expect(retryAfterSeconds({ ...input, drainRatePerSecond: 0 }, 'saturated', fixed)).toBe(30);
  });

  it('keeps even a fixed Retry-After within the policy bounds', () => {
    const input = { ...open, depth: 900, closedBy: 'saturated' } as const;

    expect(retryAfterSeconds(input, 'saturated', { ...policy, fixedRetryAfterSeconds: 90 })).toBe(
      60,
    );
  });
});
