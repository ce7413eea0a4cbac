import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';

import {
  admit,
  admitted,
  retryAfterSeconds,
  type AdmissionInput,
  type AdmissionPolicy,
  type RejectionReason,
} from '../../src/index.js';

const gateReasons = [
  'saturated',
  'slow_consumer',
  'event_loop_delay',
  'event_loop_utilization',
  'heap_used',
  'rss',
] as const;
const reasons: readonly RejectionReason[] = [...gateReasons, 'queue_full', 'closing'];

const depth = fc.oneof(
  fc.nat(2_000),
  fc.double({ min: 0, max: 1e15, noNaN: true }),
  fc.constant(Number.MAX_SAFE_INTEGER),
);

const input: fc.Arbitrary<AdmissionInput> = fc.record({
  depth,
  capacity: fc.integer({ min: 1, max: 2 ** 30 }),
  lowWatermark: fc.nat(2 ** 30),
  closedBy: fc.constantFrom(undefined, ...gateReasons),
  drainRatePerSecond: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e9, noNaN: true })),
  p95DwellMs: fc.option(fc.double({ min: 0, max: 1e12, noNaN: true }), { nil: undefined }),
  closing: fc.boolean(),
  jitter: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

const policy: fc.Arbitrary<AdmissionPolicy> = fc
  .tuple(fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 1, max: 86_400 }))
  .chain(([a, b]) =>
    fc.record({
      rejectStatus: fc.integer({ min: 400, max: 599 }),
      closingStatus: fc.integer({ min: 400, max: 599 }),
      minRetryAfterSeconds: fc.constant(Math.min(a, b)),
      maxRetryAfterSeconds: fc.constant(Math.max(a, b)),
      retryAfterJitter: fc.double({ min: 0, max: 1, noNaN: true }),
      fixedRetryAfterSeconds: fc.option(fc.integer({ min: 1, max: 86_400 }), { nil: undefined }),
    }),
  );

test.prop([input, policy])(
  'Retry-After is always a whole number of seconds within the policy bounds',
  (given, rules) => {
    const decision = admit(given, rules);
    if (decision.admitted) return;

    expect(Number.isInteger(decision.retryAfterSeconds)).toBe(true);
    expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(rules.minRetryAfterSeconds);
    expect(decision.retryAfterSeconds).toBeLessThanOrEqual(rules.maxRetryAfterSeconds);
  },
);

test.prop([input, policy, fc.constantFrom(...reasons)])(
  'retryAfterSeconds stays within the bounds for every reason',
  (given, rules, reason) => {
    const seconds = retryAfterSeconds(given, reason, rules);

    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThanOrEqual(rules.minRetryAfterSeconds);
    expect(seconds).toBeLessThanOrEqual(rules.maxRetryAfterSeconds);
  },
);

test.prop([input, policy])(
  'admits exactly when open, not closing and below capacity, with the shared decision',
  (given, rules) => {
    const decision = admit(given, rules);
    const shouldAdmit =
      !given.closing && given.closedBy === undefined && given.depth < given.capacity;

    if (shouldAdmit) {
      expect(decision).toBe(admitted);
      return;
    }

    expect(decision.admitted).toBe(false);
    if (decision.admitted) return;
    if (given.closing) {
      expect(decision).toMatchObject({ status: rules.closingStatus, reason: 'closing' });
    } else {
      expect(decision).toMatchObject({
        status: rules.rejectStatus,
        reason: given.closedBy ?? 'queue_full',
      });
    }
  },
);

test.prop([input, policy])('equal inputs give deep-equal decisions', (given, rules) => {
  expect(admit({ ...given }, { ...rules })).toEqual(admit(given, rules));
});

test.prop([
  input,
  policy,
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  fc.nat(10_000),
])(
  'a larger backlog or a higher jitter draw never shortens the wait',
  (given, rules, otherJitter, extraDepth) => {
    const closed = { ...given, closing: false, closedBy: 'saturated' } as const;
    const seconds = retryAfterSeconds(closed, 'saturated', rules);

    const deeper = { ...closed, depth: closed.depth + extraDepth };
    expect(retryAfterSeconds(deeper, 'saturated', rules)).toBeGreaterThanOrEqual(seconds);
    const higherJitter = { ...closed, jitter: Math.max(closed.jitter, otherJitter) };
    expect(retryAfterSeconds(higherJitter, 'saturated', rules)).toBeGreaterThanOrEqual(seconds);
  },
);

test.prop([input, policy, fc.integer({ min: 1, max: 86_400 })])(
  'a fixed Retry-After set through the options is the answer to every rejection',
  (given, rules, fixed) => {
    // The receiver resolves a fixed value into both bounds as well.
    const fixedRules = {
      ...rules,
      minRetryAfterSeconds: fixed,
      maxRetryAfterSeconds: fixed,
      fixedRetryAfterSeconds: fixed,
    };
    const decision = admit(given, fixedRules);

    if (!decision.admitted) expect(decision.retryAfterSeconds).toBe(fixed);
  },
);
