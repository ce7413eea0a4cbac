import { describe, expect, it } from 'vitest';

import {
  BackpressureError,
  OptionRangeError,
  OptionTypeError,
  createBackpressure,
  isBackpressureError,
} from '../../src/index.js';

const process = (): void => undefined;

/** An option set, the option path the error must name, and how the received value reads. */
type Case = readonly [options: Record<string, unknown>, option: string, received: string];

const typeCases: readonly Case[] = [
  [{ process: undefined }, 'process', 'got undefined'],
  [{ process: 'save' }, 'process', 'got string "save"'],
  [{ capacity: '10' }, 'capacity', 'got string "10"'],
  [{ concurrency: null }, 'concurrency', 'got null'],
  [{ highWatermark: '0.8' }, 'highWatermark', 'got string "0.8"'],
  [{ lowWatermark: true }, 'lowWatermark', 'got boolean true'],
  [{ dwell: 5 }, 'dwell', 'got number 5'],
  [{ dwell: { highMs: 'slow', lowMs: 0 } }, 'dwell.highMs', 'got string "slow"'],
  [{ retry: 3 }, 'retry', 'got number 3'],
  [{ retry: { maxAttempts: '3' } }, 'retry.maxAttempts', 'got string "3"'],
  [{ retry: { initialDelayMs: Number.NaN } }, 'retry.initialDelayMs', 'got number NaN'],
  [{ retry: { maxDelayMs: [] } }, 'retry.maxDelayMs', 'got an array'],
  [{ retry: { factor: {} } }, 'retry.factor', 'got an object'],
  [{ onDeadLetter: 'log' }, 'onDeadLetter', 'got string "log"'],
  [{ retryAfter: 'soon' }, 'retryAfter', 'got string "soon"'],
  [{ retryAfter: { minSeconds: '1' } }, 'retryAfter.minSeconds', 'got string "1"'],
  [{ retryAfter: { maxSeconds: false } }, 'retryAfter.maxSeconds', 'got boolean false'],
  [{ retryAfter: { jitter: '0.1' } }, 'retryAfter.jitter', 'got string "0.1"'],
  [{ retryAfter: { fixedSeconds: null } }, 'retryAfter.fixedSeconds', 'got null'],
  [{ rejectStatus: '429' }, 'rejectStatus', 'got string "429"'],
  [{ closingStatus: 503n }, 'closingStatus', 'got bigint 503'],
  [{ tracking: 1 }, 'tracking', 'got number 1'],
  [{ signals: {} }, 'signals', 'got an object'],
  [{ signals: [7] }, 'signals[0]', 'got number 7'],
  [{ signals: [{ high: 2, low: 1 }] }, 'signals[0].read', 'got undefined'],
  [{ signals: [{ read: () => 0, high: '2', low: 1 }] }, 'signals[0].high', 'got string "2"'],
  [{ signals: [{ read: () => 0, high: 2 }] }, 'signals[0].low', 'got undefined'],
  [{ queue: 5 }, 'queue', 'got number 5'],
  [{ queue: null }, 'queue', 'got null'],
  [{ queue: { capacity: 5 } }, 'queue', 'got an object'],
  [{ logger: {} }, 'logger', 'got an object'],
  [{ logger: { warn: 'loud' } }, 'logger.warn', 'got string "loud"'],
  [{ clock: 0 }, 'clock', 'got number 0'],
  [{ random: 0.5 }, 'random', 'got number 0.5'],
];

const rangeCases: readonly Case[] = [
  [{ capacity: 0 }, 'capacity', 'got number 0'],
  [{ capacity: 1.5 }, 'capacity', 'got number 1.5'],
  [{ capacity: 2 ** 31 }, 'capacity', 'got number 2147483648'],
  [{ concurrency: 0 }, 'concurrency', 'got number 0'],
  [{ concurrency: 10_001 }, 'concurrency', 'got number 10001'],
  [{ capacity: 10, highWatermark: 0 }, 'highWatermark', 'got number 0'],
  [{ capacity: 10, highWatermark: 11 }, 'highWatermark', 'got number 11'],
  [{ capacity: 10, highWatermark: 2.5 }, 'highWatermark', 'got number 2.5'],
  [{ capacity: 10, highWatermark: 5, lowWatermark: 5 }, 'lowWatermark', 'got number 5'],
  [{ capacity: 10, highWatermark: 5, lowWatermark: 9 }, 'lowWatermark', 'got number 9'],
  [{ capacity: 10, highWatermark: 0.3, lowWatermark: 0.9 }, 'lowWatermark', 'got number 0.9'],
  [{ dwell: { highMs: 100, lowMs: 100 } }, 'dwell.lowMs', 'got number 100'],
  [{ dwell: { highMs: 100, lowMs: 500 } }, 'dwell.lowMs', 'got number 500'],
  [{ dwell: { highMs: -1, lowMs: 0 } }, 'dwell.highMs', 'got number -1'],
  [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts', 'got number 0'],
  [{ retry: { maxAttempts: 2.5 } }, 'retry.maxAttempts', 'got number 2.5'],
  [{ retry: { initialDelayMs: -1 } }, 'retry.initialDelayMs', 'got number -1'],
  [{ retry: { initialDelayMs: 500, maxDelayMs: 100 } }, 'retry.maxDelayMs', 'got number 100'],
  [{ retry: { factor: 0.5 } }, 'retry.factor', 'got number 0.5'],
  [{ retryAfter: { minSeconds: 0 } }, 'retryAfter.minSeconds', 'got number 0'],
  [{ retryAfter: { minSeconds: 1.5 } }, 'retryAfter.minSeconds', 'got number 1.5'],
  [{ retryAfter: { minSeconds: 10, maxSeconds: 5 } }, 'retryAfter.maxSeconds', 'got number 5'],
  [{ retryAfter: { maxSeconds: 86_401 } }, 'retryAfter.maxSeconds', 'got number 86401'],
  [{ retryAfter: { jitter: 1.5 } }, 'retryAfter.jitter', 'got number 1.5'],
  [{ retryAfter: { jitter: -0.1 } }, 'retryAfter.jitter', 'got number -0.1'],
  [{ retryAfter: { fixedSeconds: 0 } }, 'retryAfter.fixedSeconds', 'got number 0'],
  [{ rejectStatus: 200 }, 'rejectStatus', 'got number 200'],
  [{ closingStatus: 600 }, 'closingStatus', 'got number 600'],
  [{ signals: [{ read: () => 0, high: 1, low: 1 }] }, 'signals[0].low', 'got number 1'],
];

function thrownBy(options: Record<string, unknown>): unknown {
  try {
    createBackpressure({ process, ...options });
  } catch (error) {
    return error;
  }

  return undefined;
}

describe('createBackpressure options', () => {
  it.each(typeCases)('throws an OptionTypeError for %o naming `%s`', (options, option, got) => {
    const error = thrownBy(options);

    expect(error).toBeInstanceOf(OptionTypeError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(BackpressureError);
    expect(isBackpressureError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_BACKPRESSURE_OPTION_TYPE', option });
    expect((error as Error).message).toContain(`\`${option}\``);
    expect((error as Error).message).toContain(got);
  });

  it.each(rangeCases)('throws an OptionRangeError for %o naming `%s`', (options, option, got) => {
    const error = thrownBy(options);

    expect(error).toBeInstanceOf(OptionRangeError);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toBeInstanceOf(BackpressureError);
    expect(isBackpressureError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_BACKPRESSURE_OPTION_RANGE', option });
    expect((error as Error).message).toContain(`\`${option}\``);
    expect((error as Error).message).toContain(got);
  });

  it('throws an OptionTypeError when the options are not an object', () => {
    expect(() => createBackpressure(null as never)).toThrow(
      'Expected `options` to be an object, got null',
    );
  });

  it('names a tracking option by its full path', () => {
    expect(thrownBy({ tracking: { minSamples: 0 } })).toMatchObject({
      option: 'tracking.minSamples',
    });
    expect(thrownBy({ tracking: { windowMs: '10s' } })).toMatchObject({
      option: 'tracking.windowMs',
    });
  });

  it('rejects a tracking option out of range or of the wrong type', () => {
    expect(thrownBy({ tracking: { minSamples: 0 } })).toBeInstanceOf(OptionRangeError);
    expect(thrownBy({ tracking: { sampleSize: 8, minSamples: 9 } })).toBeInstanceOf(
      OptionRangeError,
    );
    expect(thrownBy({ tracking: { refreshMs: -1 } })).toBeInstanceOf(OptionRangeError);
    expect(thrownBy({ tracking: { windowMs: '10s' } })).toBeInstanceOf(OptionTypeError);
  });

  it('resolves the defaults', () => {
    const receiver = createBackpressure({ process });
    const snapshot = receiver.snapshot();

    expect(receiver.capacity).toBe(1_000);
    expect(receiver.highWatermark).toBe(800);
    expect(receiver.lowWatermark).toBe(500);
    expect(snapshot.concurrency).toBe(4);
    expect(snapshot.dwell.samples).toBe(0);
  });

  it('takes the capacity from a custom queue', () => {
    const receiver = createBackpressure({
      process,
      queue: {
        capacity: 20,
        size: 0,
        reserved: 0,
        tryReserve: () => true,
        release: () => undefined,
        enqueueReserved: () => undefined,
        dequeue: () => undefined,
        drain: () => [],
      },
    });

    expect(receiver.capacity).toBe(20);
    expect(receiver.highWatermark).toBe(16);
  });

  it('validates the options of close()', async () => {
    const receiver = createBackpressure({ process });

    expect(() => receiver.close({ timeoutMs: -1 })).toThrow(OptionRangeError);
    expect(() => receiver.close({ timeoutMs: '1s' as never })).toThrow(
      'Expected `timeoutMs` to be a number, got string "1s"',
    );
    expect(() => receiver.close(5 as never)).toThrow(OptionTypeError);
    expect(receiver.isClosing).toBe(false);
    await expect(receiver.close({ timeoutMs: Infinity })).resolves.toMatchObject({
      drained: true,
    });
  });
});
