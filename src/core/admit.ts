/**
 * The admission decision: a pure function from the receiver's state to admit-or-reject.
 *
 * It holds every rule about statuses and `Retry-After`, and no state of its own, so it can be
 * tested exhaustively without a server, a queue or a clock.
 *
 * @module
 */

/** Pressure signals that can close the gate besides the queue itself. */
export type SignalReason = 'event_loop_delay' | 'event_loop_utilization' | 'heap_used' | 'rss';

// Records rather than arrays: `satisfies` then rejects a reason added to the union and not here.
const signalReasonSet = {
  event_loop_delay: true,
  event_loop_utilization: true,
  heap_used: true,
  rss: true,
} satisfies Record<SignalReason, true>;

/** Every {@link SignalReason}, for validation and for metrics that list each reason. */
export const signalReasons = Object.keys(signalReasonSet) as readonly SignalReason[];

/**
 * Why a request was rejected.
 *
 * - `saturated`: queue depth reached the high watermark and has not yet fallen to the low one.
 * - `slow_consumer`: p95 dwell reached its bound; the consumer is falling behind.
 * - `queue_full`: no free slot, although the gate was open (a shared or external queue).
 * - `closing`: the receiver is shutting down.
 * - a {@link SignalReason}: a process signal such as event-loop delay crossed its threshold.
 */
export type RejectionReason =
  'saturated' | 'slow_consumer' | 'queue_full' | 'closing' | SignalReason;

const rejectionReasonSet = {
  saturated: true,
  slow_consumer: true,
  queue_full: true,
  closing: true,
  ...signalReasonSet,
} satisfies Record<RejectionReason, true>;

/** Every {@link RejectionReason}, so that metrics can show each one (at 0) before its first use. */
export const rejectionReasons = Object.keys(rejectionReasonSet) as readonly RejectionReason[];

/** The reasons that close the gate itself, as opposed to shutdown or a full queue. */
export type GateReason = Exclude<RejectionReason, 'closing' | 'queue_full'>;

/** What the decision reads. Every field is a plain value; the caller may reuse one object. */
export interface AdmissionInput {
  /** Queued items plus reserved slots. */
  readonly depth: number;
  readonly capacity: number;
  /** The depth at which a closed gate reopens; the backlog to wait for is measured down to it. */
  readonly lowWatermark: number;
  /** What holds the gate closed, or `undefined` when it is open. */
  readonly closedBy: GateReason | undefined;
  /** Events leaving the queue per second; 0 when not yet measured. */
  readonly drainRatePerSecond: number;
  /**
   * The dwell figure in milliseconds: recent p95, or the age of the oldest waiting event when the
   * dwell gate is on and that is larger; `undefined` when too few samples exist.
   */
  readonly p95DwellMs: number | undefined;
  /** True once shutdown has begun. */
  readonly closing: boolean;
  /** A uniform draw in `[0, 1)` for `Retry-After` jitter; equal inputs give equal decisions. */
  readonly jitter: number;
}

/** The rules a decision applies, resolved from the receiver's options. */
export interface AdmissionPolicy {
  /** Status of a rejection under load. */
  readonly rejectStatus: number;
  /** Status of a rejection during shutdown. */
  readonly closingStatus: number;
  /** Lower bound of `Retry-After`, whole seconds >= 1. */
  readonly minRetryAfterSeconds: number;
  /** Upper bound of `Retry-After`, whole seconds >= the lower bound. */
  readonly maxRetryAfterSeconds: number;
  /** Spread `Retry-After` upwards by up to this fraction of itself (0 = no jitter). */
  readonly retryAfterJitter: number;
  /** A constant `Retry-After`, when the user asked for one; otherwise `undefined`. */
  readonly fixedRetryAfterSeconds: number | undefined;
}

/** The decision to admit. A single shared object: admitting allocates nothing. */
export interface Admitted {
  readonly admitted: true;
}

/** The decision to reject, with everything an HTTP response needs. */
export interface Rejection {
  readonly admitted: false;
  /** 429 under load by default, 503 while closing. */
  readonly status: number;
  readonly reason: RejectionReason;
  /** Whole seconds, at least 1, within the policy's bounds. */
  readonly retryAfterSeconds: number;
}

export type AdmissionDecision = Admitted | Rejection;

/** The one admitted decision every call returns. */
export const admitted: Admitted = Object.freeze({ admitted: true });

/**
 * Decides whether one request may enter. Pure: equal inputs give equal decisions, and nothing is
 * read from outside its arguments.
 *
 * @example
 * const decision = admit(
 *   { depth: 850, capacity: 1000, lowWatermark: 400, closedBy: 'saturated',
 *     drainRatePerSecond: 150, p95DwellMs: 900, closing: false, jitter: 0 },
 *   policy,
 * );
 * // { admitted: false, status: 429, reason: 'saturated', retryAfterSeconds: 3 }
 */
export function admit(input: AdmissionInput, policy: AdmissionPolicy): AdmissionDecision {
  if (input.closing) {
    // A closing receiver is going away: send the client elsewhere soon, whatever the backlog.
    return rejection(policy.closingStatus, 'closing', clampSeconds(fixedOr(policy, 1), policy));
  }

  if (input.closedBy === undefined && input.depth < input.capacity) return admitted;

  const reason = input.closedBy ?? 'queue_full';
  return rejection(policy.rejectStatus, reason, retryAfterSeconds(input, reason, policy));
}

/**
 * Seconds until a rejected client is likely to be admitted: the backlog that must drain before
 * the gate reopens, divided by the drain rate, then jittered, rounded up and clamped.
 */
export function retryAfterSeconds(
  input: AdmissionInput,
  reason: RejectionReason,
  policy: AdmissionPolicy,
): number {
  if (policy.fixedRetryAfterSeconds !== undefined) {
    return clampSeconds(policy.fixedRetryAfterSeconds, policy);
  }
  if (input.drainRatePerSecond <= 0) return policy.maxRetryAfterSeconds;

  // A gate closed by depth reopens at the low watermark, so only the part above it must drain.
  const backlog = reason === 'saturated' ? input.depth - input.lowWatermark : input.depth;
  let seconds = Math.max(backlog, 1) / input.drainRatePerSecond;
  // A slow consumer's events wait about p95 dwell: promising less would bring the client back
  // into the same queue.
  if (reason === 'slow_consumer' && input.p95DwellMs !== undefined) {
    seconds = Math.max(seconds, input.p95DwellMs / 1_000);
  }

  // Jitter only lengthens the wait, so that senders spread out instead of returning together.
  seconds *= 1 + policy.retryAfterJitter * input.jitter;
  return clampSeconds(Math.ceil(seconds), policy);
}

function fixedOr(policy: AdmissionPolicy, seconds: number): number {
  return policy.fixedRetryAfterSeconds ?? seconds;
}

function clampSeconds(seconds: number, policy: AdmissionPolicy): number {
  if (!(seconds >= policy.minRetryAfterSeconds)) return policy.minRetryAfterSeconds;
  return seconds > policy.maxRetryAfterSeconds ? policy.maxRetryAfterSeconds : seconds;
}

function rejection(status: number, reason: RejectionReason, seconds: number): Rejection {
  return { admitted: false, status, reason, retryAfterSeconds: seconds };
}
