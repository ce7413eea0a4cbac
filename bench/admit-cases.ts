/**
 * The admission loops the core suite times and the allocation probe weighs: one definition, so
 * both figures describe the same code.
 *
 * @module
 */

import {
  admit,
  createBackpressure,
  type AdmissionDecision,
  type AdmissionInput,
  type AdmissionPolicy,
  type Backpressure,
} from '../src/index.js';
import type { Loop } from './timing.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The policy a receiver resolves from its default options. */
const policy: AdmissionPolicy = {
  rejectStatus: 429,
  closingStatus: 503,
  minRetryAfterSeconds: 1,
  maxRetryAfterSeconds: 60,
  retryAfterJitter: 0.2,
  fixedRetryAfterSeconds: undefined,
};

/**
 * The last decision, kept where the optimiser cannot see it die. Without this store, escape
 * analysis may drop the rejection object altogether, and both the timing and the allocation
 * figure would describe a caller that throws the decision away, which no receiver does.
 */
export let lastDecision: AdmissionDecision | undefined;

/**
 * A loop over `admit()` with one input object, mutated before each call as the receiver does.
 * Admitting: the gate is open and the depth (0 to 511) below capacity. Rejecting: the gate is
 * closed by saturation with a measured drain rate, so the `Retry-After` arithmetic runs.
 *
 * @example
 * const loop = admitLoop('admitting');
 * loop(1_000); // 1000: one per admitted call
 */
export function admitLoop(kind: 'admitting' | 'rejecting'): Loop {
  const rejecting = kind === 'rejecting';
  const input: Mutable<AdmissionInput> = {
    depth: 0,
    capacity: 1_000,
    lowWatermark: 500,
    closedBy: rejecting ? 'saturated' : undefined,
    drainRatePerSecond: 150,
    p95DwellMs: 40,
    closing: false,
    jitter: 0.5,
  };
  const base = rejecting ? 600 : 0;

  return (iterations) => {
    let checksum = 0;
    for (let i = 0; i < iterations; i++) {
      // A new depth each call keeps the input from being treated as a constant.
      input.depth = base + (i & 511);
      const decision = admit(input, policy);
      lastDecision = decision;
      checksum += decision.admitted ? 1 : decision.retryAfterSeconds;
    }

    return checksum;
  };
}

/**
 * A loop over the full receiver path: `tryAdmit()` on an idle receiver, then `release()` of the
 * slot, so the depth stays at zero and every call is admitted.
 *
 * @example
 * const { loop, receiver } = receiverLoop();
 * loop(1_000);
 * await receiver.close();
 */
export function receiverLoop(): { loop: Loop; receiver: Backpressure<unknown> } {
  const receiver = createBackpressure<unknown>({ capacity: 1_000, process: () => undefined });
  const loop: Loop = (iterations) => {
    let checksum = 0;
    for (let i = 0; i < iterations; i++) {
      const admission = receiver.tryAdmit();
      if (admission.admitted) {
        admission.release();
        checksum += 1;
      } else {
        checksum += admission.retryAfterSeconds;
      }
    }

    return checksum;
  };

  return { loop, receiver };
}
