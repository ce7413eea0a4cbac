import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';

import { BoundedQueue, QueueFullError } from '../../src/index.js';

/** The deliberately simple model: an array of waiting items and three counters. */
interface Model {
  readonly capacity: number;
  readonly items: { value: number; enqueuedAt: number }[];
  reserved: number;
  reserves: number;
  releases: number;
  fills: number;
}

interface Real {
  readonly queue: BoundedQueue<number>;
  /** The clock the queue reads; commands move it. */
  now: number;
}

type QueueCommand = fc.Command<Model, Real>;

function expectSameState(model: Model, queue: BoundedQueue<number>): void {
  expect(queue.size).toBe(model.items.length);
  expect(queue.reserved).toBe(model.reserved);
  expect(queue.depth).toBe(model.items.length + model.reserved);
  expect(queue.available).toBe(model.capacity - model.items.length - model.reserved);
  expect(queue.depth).toBeLessThanOrEqual(queue.capacity);
  expect(queue.isFull).toBe(queue.depth === model.capacity);
  expect(queue.isEmpty).toBe(model.items.length === 0);
  expect(queue.peekEnqueuedAt()).toBe(model.items[0]?.enqueuedAt);
  // Every reservation ends in exactly one release or one fill.
  expect(queue.reserved).toBe(model.reserves - model.releases - model.fills);
}

const hasRoom = (model: Model): boolean => model.items.length + model.reserved < model.capacity;

class Enqueue implements QueueCommand {
  constructor(readonly value: number) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    const expected = hasRoom(model);
    expect(real.queue.enqueue(this.value)).toBe(expected);
    if (expected) model.items.push({ value: this.value, enqueuedAt: real.now });
    expectSameState(model, real.queue);
  }
  toString = (): string => `enqueue(${this.value})`;
}

class TryReserve implements QueueCommand {
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    const expected = hasRoom(model);
    expect(real.queue.tryReserve()).toBe(expected);
    if (expected) {
      model.reserved++;
      model.reserves++;
    }
    expectSameState(model, real.queue);
  }
  toString = (): string => 'tryReserve()';
}

class Release implements QueueCommand {
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    if (model.reserved === 0) {
      expect(() => {
        real.queue.release();
      }).toThrow(RangeError);
    } else {
      real.queue.release();
      model.reserved--;
      model.releases++;
    }
    expectSameState(model, real.queue);
  }
  toString = (): string => 'release()';
}

class EnqueueReserved implements QueueCommand {
  constructor(readonly value: number) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    if (model.reserved === 0) {
      expect(() => {
        real.queue.enqueueReserved(this.value);
      }).toThrow(QueueFullError);
    } else {
      real.queue.enqueueReserved(this.value);
      model.reserved--;
      model.fills++;
      model.items.push({ value: this.value, enqueuedAt: real.now });
    }
    expectSameState(model, real.queue);
  }
  toString = (): string => `enqueueReserved(${this.value})`;
}

class Dequeue implements QueueCommand {
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    expect(real.queue.dequeue()).toEqual(model.items.shift());
    expectSameState(model, real.queue);
  }
  toString = (): string => 'dequeue()';
}

class Drain implements QueueCommand {
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    expect(real.queue.drain()).toEqual(model.items.map((item) => item.value));
    model.items.length = 0;
    expectSameState(model, real.queue);
  }
  toString = (): string => 'drain()';
}

class Tick implements QueueCommand {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  run(model: Model, real: Real): void {
    real.now += this.ms;
    expectSameState(model, real.queue);
  }
  toString = (): string => `tick(${this.ms})`;
}

const commands = fc.commands(
  [
    fc.integer().map((value) => new Enqueue(value)),
    fc.constant(new TryReserve()),
    fc.constant(new Release()),
    fc.integer().map((value) => new EnqueueReserved(value)),
    fc.constant(new Dequeue()),
    fc.constant(new Drain()),
    fc.nat(1_000).map((ms) => new Tick(ms)),
  ],
  { size: '+1' },
);

test.prop([fc.integer({ min: 1, max: 8 }), commands])(
  'BoundedQueue behaves like an array bounded by its capacity',
  (capacity, cmds) => {
    const setup = (): { model: Model; real: Real } => {
      const real: Real = { queue: new BoundedQueue({ capacity, clock: () => real.now }), now: 0 };
      const model: Model = { capacity, items: [], reserved: 0, reserves: 0, releases: 0, fills: 0 };
      return { model, real };
    };
    fc.modelRun(setup, cmds);
  },
);
