/**
 * Graceful shutdown on SIGTERM and SIGINT: stop admitting, let uploads in progress finish, drain
 * the queue up to a deadline, hand what is left to the caller, then let the process exit.
 *
 * Node-only: it listens to process signals. The core's `close()` does the work; this wires it to
 * the signals an orchestrator sends and to the servers in front of the receiver.
 *
 * @module
 */

import type { Server } from 'node:http';

import { OptionTypeError } from '../core/errors.js';
import { Backpressure, type CloseResult } from '../core/receiver.js';
import { resolveLogger, type Logger } from '../core/options.js';
import { boolean, fn, integer, maxTimerMs, number, object } from '../core/validate.js';

/** Options of {@link gracefulShutdown}. */
export interface GracefulShutdownOptions<T> {
  /** The receiver to drain. */
  receiver: Backpressure<T>;
  /**
   * `node:http` servers in front of the receiver (what `app.listen()` returns for Express and
   * Koa, `serve()` for Hono on Node). They keep answering, with 503 and `Connection: close`,
   * while the queue drains, then stop listening.
   * @default []
   */
  servers?: readonly Server[];
  /**
   * Closes whatever else must stop, after the drain: `() => fastify.close()`, say (the Fastify
   * plugin drains the receiver on `onClose`).
   */
  close?: () => unknown;
  /**
   * Receives the events that could not be processed before the deadline, to persist them. Runs
   * before the process exits; it has `graceMs` to finish.
   */
  onUnprocessed?: (result: CloseResult<T>) => unknown;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
  /**
   * How long the queue may drain, in milliseconds.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * Extra time for `onUnprocessed` and closing servers after the drain deadline. The process is
   * exited by force when it runs out.
   * @default 5_000
   */
  graceMs?: number;
  /**
   * Ends the process when shutdown completes (code 0, or 1 when `onUnprocessed` failed or the
   * grace period ran out). Turn it off to manage the exit yourself.
   * @default true
   */
  exit?: boolean;
  /** Reports a failure during shutdown. @default console */
  logger?: Logger;
}

/** The handle returned by {@link gracefulShutdown}. */
export interface GracefulShutdown<T> {
  /** Starts the shutdown now, as a signal would. Calling it again returns the same promise. */
  shutdown(): Promise<CloseResult<T>>;
  /** Removes the signal listeners without shutting down. */
  dispose(): void;
}

/**
 * Shuts the receiver down cleanly when the process is asked to stop.
 *
 * @example
 * const server = app.listen(3000);
 * gracefulShutdown({
 *   receiver,
 *   servers: [server],
 *   timeoutMs: 20_000,
 *   onUnprocessed: async ({ unprocessed, interrupted }) => {
 *     await saveForLater([...unprocessed, ...interrupted]);
 *   },
 * });
 */
export function gracefulShutdown<T>(options: GracefulShutdownOptions<T>): GracefulShutdown<T> {
  const config = resolveShutdownOptions(options);
  const { receiver, logger, exit } = config;
  let running: Promise<CloseResult<T>> | undefined;
  const onSignal = (): void => {
    void shutdown();
  };

  function shutdown(): Promise<CloseResult<T>> {
    running ??= run();
    return running;
  }

  async function run(): Promise<CloseResult<T>> {
    dispose();
    // A backstop for a hung onUnprocessed or server: the orchestrator's patience is finite.
    const deadline = setTimeout(
      () => {
        logger.warn('backpressure: shutdown overran its grace period; exiting now');
        if (exit) process.exit(1);
      },
      Math.min(config.timeoutMs + config.graceMs, maxTimerMs),
    );
    deadline.unref();

    let failed = false;
    const result = await receiver.close({ timeoutMs: config.timeoutMs });
    try {
      const left = result.unprocessed.length + result.interrupted.length;
      if (left > 0) await config.onUnprocessed?.(result);
    } catch (error) {
      failed = true;
      logger.warn(`backpressure: onUnprocessed failed: ${String(error)}`);
    }

    await Promise.all([...config.servers.map(stopServer), config.close?.()]);
    clearTimeout(deadline);
    if (exit) process.exit(failed ? 1 : 0);
    return result;
  }

  function dispose(): void {
    for (const signal of config.signals) process.off(signal, onSignal);
  }

  for (const signal of config.signals) process.on(signal, onSignal);
  return { shutdown, dispose };
}

interface ResolvedShutdownOptions<T> {
  readonly receiver: Backpressure<T>;
  readonly servers: readonly Server[];
  readonly close: (() => unknown) | undefined;
  readonly onUnprocessed: ((result: CloseResult<T>) => unknown) | undefined;
  readonly signals: readonly NodeJS.Signals[];
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly exit: boolean;
  readonly logger: Logger;
}

function resolveShutdownOptions<T>(
  options: GracefulShutdownOptions<T>,
): ResolvedShutdownOptions<T> {
  const raw = object('options', options);
  if (!(raw.receiver instanceof Backpressure)) {
    throw new OptionTypeError('receiver', 'a receiver from createBackpressure()', raw.receiver);
  }

  return {
    receiver: raw.receiver as Backpressure<T>,
    servers: array<Server>('servers', raw.servers, []),
    close: fn('close', raw.close),
    onUnprocessed: fn('onUnprocessed', raw.onUnprocessed),
    signals: array<NodeJS.Signals>('signals', raw.signals, ['SIGTERM', 'SIGINT']),
    timeoutMs: number('timeoutMs', raw.timeoutMs, 10_000, 0, maxTimerMs),
    graceMs: integer('graceMs', raw.graceMs, 5_000, 0, maxTimerMs),
    exit: boolean('exit', raw.exit, true),
    logger: resolveLogger(raw.logger),
  };
}

function array<E>(option: string, value: unknown, fallback: readonly E[]): readonly E[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) throw new OptionTypeError(option, 'an array', value);
  return value as readonly E[];
}

/** Stops listening and ends the connections left, which are idle once the queue has drained. */
function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}
