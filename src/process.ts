/**
 * backpressure/process: Node-only helpers around the receiver: graceful shutdown on process
 * signals, and pressure signals read from the Node runtime.
 *
 * @module
 */

export {
  gracefulShutdown,
  type GracefulShutdown,
  type GracefulShutdownOptions,
} from './node/shutdown.js';
export {
  eventLoopDelaySignal,
  eventLoopUtilizationSignal,
  heapUsedSignal,
  rssSignal,
  type EventLoopDelaySignalOptions,
  type EventLoopUtilizationSignalOptions,
  type MemorySignalOptions,
  type ProcessSignal,
} from './node/signals.js';
