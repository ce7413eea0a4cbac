import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';

import {
  ClosedError,
  createBackpressure,
  type Backpressure,
  type CloseResult,
  type DeadLetter,
  type Slot,
} from '../../src/index.js';
import { controlledProcess, recordingLogger, settle, until, type ProcessCall } from './fixtures.js';

/** The receiver's settings for one run. */
interface Config {
  readonly capacity: number;
  readonly high: number;
  readonly low: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
}

/**
 * The deliberately simple model: where each event is, as plain arrays and a map, plus the gate as
 * one boolean folded over the depth at the end of every command.
 */
interface Model {
  readonly config: Config;
  now: number;
  nextEvent: number;
  enqueued: number;
  reserved: number;
  readonly queue: { event: number; enqueuedAt: number }[];
  /** In flight, in the order the workers took them: attempt and dwell of each. */
  readonly inFlight: Map<number, { attempt: number; dwellMs: number }>;
  readonly processed: number[];
  readonly deadLettered: { event: number; attempts: number }[];
  readonly returned: number[];
  gateOpen: boolean;
  closing: boolean;
  closed: boolean;
}

interface Real {
  readonly receiver: Backpressure<number>;
  readonly clock: { now: number };
  /** Slots held by uploads that have not finished. */
  readonly slots: Slot<number>[];
  /** Calls of `process` still pending. */
  readonly calls: ProcessCall<number>[];
  readonly deadLetters: DeadLetter<number>[];
  /** Events whose `process` call the test resolved. */
  readonly resolved: number[];
  closePromise: Promise<CloseResult<number>> | undefined;
  closeResult: CloseResult<number> | undefined;
}

type ReceiverCommand = fc.AsyncCommand<Model, Real>;

const depthOf = (model: Readonly<Model>): number => model.queue.length + model.reserved;

/** What the workers do after any change: take waiting events while a worker is free. */
function pump(model: Model): void {
  if (model.closed) return;

  while (model.inFlight.size < model.config.concurrency && model.queue.length > 0) {
    const { event, enqueuedAt } = model.queue.shift()!;
    model.inFlight.set(event, { attempt: 1, dwellMs: model.now - enqueuedAt });
  }
}

/** Lets the receiver settle, advances the model's gate and shutdown, and compares everything. */
async function afterCommand(model: Model, real: Real): Promise<void> {
  await settle();
  const depth = depthOf(model);
  const { high, low, capacity } = model.config;
  model.gateOpen = depth >= high ? false : depth <= low ? true : model.gateOpen;

  if (model.closing && !model.closed && depth === 0 && model.inFlight.size === 0) {
    // close() without a deadline resolves as soon as everything has drained.
    model.closed = true;
    expect(real.closeResult).toEqual({ unprocessed: [], interrupted: [], drained: true });
  }

  const snapshot = real.receiver.snapshot();
  expect(snapshot.queued).toBe(model.queue.length);
  expect(snapshot.reserved).toBe(model.reserved);
  expect(snapshot.depth).toBe(depth);
  expect(snapshot.depth).toBeLessThanOrEqual(capacity);
  expect(snapshot.inFlight).toBe(model.inFlight.size);
  expect(snapshot.closing).toBe(model.closing);
  expect(snapshot.closed).toBe(model.closed);
  expect(snapshot.accepting).toBe(!model.closing && model.gateOpen && depth < capacity);
  expect(snapshot.pausedBy).toBe(
    model.closing ? 'closing' : model.gateOpen ? undefined : 'saturated',
  );

  const { counters } = snapshot;
  expect(counters).toMatchObject({
    enqueued: model.enqueued,
    processed: model.processed.length,
    deadLettered: model.deadLettered.length,
    returned: model.returned.length,
  });
  expect(counters.enqueued).toBe(
    snapshot.queued +
      snapshot.inFlight +
      counters.processed +
      counters.deadLettered +
      counters.returned,
  );

  // Event by event, from what the test observed of the receiver: each enqueued event is in exactly
  // one place, and the ones seen nowhere are exactly as many as the queue holds.
  const running = real.calls.map((call) => call.event);
  const dead = real.deadLetters.map((letter) => letter.event);
  const returned = [
    ...(real.closeResult?.unprocessed ?? []),
    ...(real.closeResult?.interrupted ?? []),
  ];
  const seen = [...running, ...real.resolved, ...dead, ...returned];
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen.every((event) => event < model.nextEvent)).toBe(true);
  expect(seen.length + snapshot.queued).toBe(counters.enqueued);

  // The running calls are the model's in-flight events, at the model's attempt and dwell.
  expect([...running].sort((a, b) => a - b)).toEqual(
    [...model.inFlight.keys()].sort((a, b) => a - b),
  );
  for (const call of real.calls) {
    const expected = model.inFlight.get(call.event)!;
    expect(call.context.attempt).toBe(expected.attempt);
    expect(call.context.dwellMs).toBe(expected.dwellMs);
    expect(call.context.signal.aborted).toBe(false);
  }

  expect(real.resolved).toEqual(model.processed);
  expect(real.deadLetters.map(({ event, attempts }) => ({ event, attempts }))).toEqual(
    model.deadLettered,
  );
}

class Admit implements ReceiverCommand {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const depth = depthOf(model);
    const admission = real.receiver.tryAdmit();

    if (model.closing) {
      expect(admission).toMatchObject({ admitted: false, status: 503, reason: 'closing' });
    } else if (model.gateOpen && depth < model.config.capacity) {
      expect(admission.admitted).toBe(true);
    } else {
      expect(admission).toMatchObject({ admitted: false, status: 429, reason: 'saturated' });
    }

    if (admission.admitted) {
      real.slots.push(admission);
      model.reserved++;
    } else {
      expect(Number.isInteger(admission.retryAfterSeconds)).toBe(true);
      expect(admission.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(admission.retryAfterSeconds).toBeLessThanOrEqual(60);
    }

    await afterCommand(model, real);
  }
  toString = (): string => 'admit';
}

class Enqueue implements ReceiverCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>): boolean => model.reserved > 0;
  async run(model: Model, real: Real): Promise<void> {
    const [slot] = real.slots.splice(this.pick % real.slots.length, 1);
    const event = model.nextEvent++;
    model.reserved--;

    if (model.closed) {
      await expect(slot!.enqueue(event)).rejects.toThrow(ClosedError);
    } else {
      await slot!.enqueue(event);
      model.enqueued++;
      model.queue.push({ event, enqueuedAt: model.now });
      pump(model);
    }

    await afterCommand(model, real);
  }
  toString = (): string => `enqueue(${this.pick})`;
}

class Release implements ReceiverCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>): boolean => model.reserved > 0;
  async run(model: Model, real: Real): Promise<void> {
    const [slot] = real.slots.splice(this.pick % real.slots.length, 1);
    slot!.release();
    model.reserved--;
    await afterCommand(model, real);
  }
  toString = (): string => `release(${this.pick})`;
}

class Finish implements ReceiverCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>): boolean => model.inFlight.size > 0;
  async run(model: Model, real: Real): Promise<void> {
    const [call] = real.calls.splice(this.pick % real.calls.length, 1);
    call!.resolve();
    real.resolved.push(call!.event);
    model.inFlight.delete(call!.event);
    model.processed.push(call!.event);
    pump(model);
    await afterCommand(model, real);
  }
  toString = (): string => `finish(${this.pick})`;
}

class Fail implements ReceiverCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>): boolean => model.inFlight.size > 0;
  async run(model: Model, real: Real): Promise<void> {
    const [call] = real.calls.splice(this.pick % real.calls.length, 1);
    const { event } = call!;
    const state = model.inFlight.get(event)!;
    call!.reject(new Error(`attempt ${state.attempt} failed`));

    if (state.attempt < model.config.maxAttempts) {
      state.attempt++;
      // The retry waits a zero-delay timer: let it fire before comparing.
      await until(() =>
        real.calls.some((next) => next.event === event && next.context.attempt === state.attempt),
      );
    } else {
      model.inFlight.delete(event);
      model.deadLettered.push({ event, attempts: state.attempt });
      pump(model);
    }

    await afterCommand(model, real);
  }
  toString = (): string => `fail(${this.pick})`;
}

class Tick implements ReceiverCommand {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    real.clock.now += this.ms;
    model.now += this.ms;
    await afterCommand(model, real);
  }
  toString = (): string => `tick(${this.ms})`;
}

class Close implements ReceiverCommand {
  /** 0 for no grace period, `Infinity` to wait for everything to drain. */
  constructor(readonly timeoutMs: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    if (model.closing) {
      expect(real.receiver.close({ timeoutMs: this.timeoutMs })).toBe(real.closePromise);
      await afterCommand(model, real);
      return;
    }

    model.closing = true;
    const closing = real.receiver.close({ timeoutMs: this.timeoutMs });
    real.closePromise = closing;
    void closing.then((result) => (real.closeResult = result));
    const drained = depthOf(model) === 0 && model.inFlight.size === 0;

    if (this.timeoutMs === 0 && !drained) {
      const unprocessed = model.queue.map((item) => item.event);
      const interrupted = [...model.inFlight.keys()];
      expect(await closing).toEqual({ unprocessed, interrupted, drained: false });

      // The interrupted calls were aborted; the consumer stopped them, so they are no longer pending.
      const aborted = real.calls.filter((call) => call.context.signal.aborted);
      expect(aborted.map((call) => call.event).sort()).toEqual([...interrupted].sort());
      real.calls.length = 0;
      model.returned.push(...unprocessed, ...interrupted);
      model.queue.length = 0;
      model.inFlight.clear();
      model.closed = true;
    }

    await afterCommand(model, real);
  }
  toString = (): string => `close(${this.timeoutMs})`;
}

const config: fc.Arbitrary<Config> = fc.integer({ min: 1, max: 6 }).chain((capacity) =>
  fc.integer({ min: 1, max: capacity }).chain((high) =>
    fc.record({
      capacity: fc.constant(capacity),
      high: fc.constant(high),
      low: fc.integer({ min: 0, max: high - 1 }),
      concurrency: fc.integer({ min: 1, max: 3 }),
      maxAttempts: fc.integer({ min: 1, max: 3 }),
    }),
  ),
);

const commands = fc.commands<Model, Real, false>(
  [
    fc.constant(new Admit()),
    fc.nat().map((pick) => new Enqueue(pick)),
    fc.nat().map((pick) => new Release(pick)),
    fc.nat().map((pick) => new Finish(pick)),
    fc.nat().map((pick) => new Fail(pick)),
    fc.nat(2_000).map((ms) => new Tick(ms)),
    fc.constantFrom(0, Infinity).map((timeoutMs) => new Close(timeoutMs)),
  ],
  { size: '+1' },
);

function setup(settings: Config): { model: Model; real: Real } {
  const clock = { now: 0 };
  const { process, calls } = controlledProcess<number>();
  const receiver = createBackpressure<number>({
    process,
    capacity: settings.capacity,
    highWatermark: settings.high,
    lowWatermark: settings.low,
    concurrency: settings.concurrency,
    retry: { maxAttempts: settings.maxAttempts, initialDelayMs: 0, maxDelayMs: 0 },
    clock: () => clock.now,
    random: () => 0.5,
    logger: recordingLogger(),
  });
  const real: Real = {
    receiver,
    clock,
    slots: [],
    calls,
    deadLetters: [],
    resolved: [],
    closePromise: undefined,
    closeResult: undefined,
  };
  receiver.onDeadLetter((letter) => real.deadLetters.push(letter));
  const model: Model = {
    config: settings,
    now: 0,
    nextEvent: 0,
    enqueued: 0,
    reserved: 0,
    queue: [],
    inFlight: new Map(),
    processed: [],
    deadLettered: [],
    returned: [],
    gateOpen: true,
    closing: false,
    closed: false,
  };
  return { model, real };
}

test.prop([config, commands])(
  'the receiver loses no event and agrees with a plain model at every step',
  async (settings, cmds) => {
    let final: { model: Model; real: Real } | undefined;
    await fc.asyncModelRun(() => (final = setup(settings)), cmds);

    // Whatever state the run ended in, closing accounts for every event: a close with no grace
    // period, or, when a close without a deadline is pending, everything it waits for finishing.
    const { model, real } = final!;
    if (!model.closing) await new Close(0).run(model, real);
    while (model.reserved > 0) await new Release(0).run(model, real);
    while (model.inFlight.size > 0) await new Finish(0).run(model, real);
    expect(model.closed).toBe(true);
    const { counters } = real.receiver.snapshot();
    expect(counters.enqueued).toBe(counters.processed + counters.deadLettered + counters.returned);
  },
);
