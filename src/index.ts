/**
 * backpressure: consumer-side backpressure for HTTP and webhook receivers.
 *
 * The framework-free core. Adapters live in their own subpaths (`backpressure/express`, …).
 *
 * @module
 */

export {
  admit,
  admitted,
  rejectionReasons,
  retryAfterSeconds,
  signalReasons,
  type Admitted,
  type AdmissionDecision,
  type AdmissionInput,
  type AdmissionPolicy,
  type GateReason,
  type Rejection,
  type RejectionReason,
  type SignalReason,
} from './core/admit.js';
export { BoundedQueue, type BoundedQueueOptions, type QueuedItem } from './core/bounded-queue.js';
export { mathRandom, monotonicClock, type Clock, type RandomSource } from './core/clock.js';
export { DrainRateMeter, type DrainRateMeterOptions } from './core/drain-rate.js';
export {
  DwellTracker,
  type DwellTrackerOptions,
  type LatencySummary,
} from './core/dwell-tracker.js';
export {
  BackpressureError,
  ClosedError,
  OptionRangeError,
  OptionTypeError,
  QueueFullError,
  SlotSettledError,
  isBackpressureError,
  MissingSlotError,
  type BackpressureErrorCode,
} from './core/errors.js';
export {
  HysteresisGate,
  hysteresis,
  nextGateState,
  openGate,
  type GateClosedBy,
  type GateInput,
  type GateState,
  type GateThresholds,
  type HysteresisGateOptions,
} from './core/hysteresis-gate.js';
export type { Disposer } from './core/listeners.js';
export type {
  BackpressureOptions,
  DeadLetter,
  Logger,
  PressureSignal,
  ProcessContext,
} from './core/options.js';
export {
  Backpressure,
  createBackpressure,
  type Admission,
  type BackpressureCounters,
  type BackpressureSnapshot,
  type CloseOptions,
  type CloseResult,
  type PauseEvent,
  type ResumeEvent,
  type Slot,
} from './core/receiver.js';
export type { ReceiverQueue } from './core/receiver-queue.js';
