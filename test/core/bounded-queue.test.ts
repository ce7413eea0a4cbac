import { describe, expect, it } from 'vitest';

import {
  BoundedQueue,
  OptionRangeError,
  OptionTypeError,
  QueueFullError,
} from '../../src/index.js';

function expectCounts(
  queue: BoundedQueue<unknown>,
  counts: { size: number; reserved: number },
): void {
  expect(queue.size).toBe(counts.size);
  expect(queue.reserved).toBe(counts.reserved);
  expect(queue.depth).toBe(counts.size + counts.reserved);
  expect(queue.available).toBe(queue.capacity - counts.size - counts.reserved);
  expect(queue.isFull).toBe(queue.available === 0);
  expect(queue.isEmpty).toBe(counts.size === 0);
}

describe('BoundedQueue', () => {
  it('starts empty with every slot available', () => {
    const queue = new BoundedQueue<string>({ capacity: 3 });

    expect(queue.capacity).toBe(3);
    expectCounts(queue, { size: 0, reserved: 0 });
    expect(queue.dequeue()).toBeUndefined();
    expect(queue.peekEnqueuedAt()).toBeUndefined();
  });

  it('hands items back oldest first, stamped with the clock at enqueue', () => {
    let now = 0;
    const queue = new BoundedQueue<string>({ capacity: 3, clock: () => now });

    expect(queue.enqueue('a')).toBe(true);
    expectCounts(queue, { size: 1, reserved: 0 });
    now = 5;
    expect(queue.enqueue('b')).toBe(true);
    expectCounts(queue, { size: 2, reserved: 0 });
    expect(queue.peekEnqueuedAt()).toBe(0);

    expect(queue.dequeue()).toEqual({ value: 'a', enqueuedAt: 0 });
    expectCounts(queue, { size: 1, reserved: 0 });
    expect(queue.peekEnqueuedAt()).toBe(5);
    expect(queue.dequeue()).toEqual({ value: 'b', enqueuedAt: 5 });
    expectCounts(queue, { size: 0, reserved: 0 });
  });

  it('refuses an item once full and changes nothing', () => {
    const queue = new BoundedQueue<number>({ capacity: 2, clock: () => 0 });
    queue.enqueue(1);
    queue.enqueue(2);

    expect(queue.enqueue(3)).toBe(false);
    expectCounts(queue, { size: 2, reserved: 0 });
    expect(queue.drain()).toEqual([1, 2]);
  });

  it('keeps FIFO order across the end of the ring', () => {
    const queue = new BoundedQueue<number>({ capacity: 3, clock: () => 0 });
    const taken: number[] = [];
    for (let i = 0; i < 10; i++) {
      queue.enqueue(i);
      if (i % 2 === 1) taken.push(queue.dequeue()!.value, queue.dequeue()!.value);
    }

    expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expectCounts(queue, { size: 0, reserved: 0 });
  });

  it('counts reserved slots towards depth and refuses a reservation once full', () => {
    const queue = new BoundedQueue<string>({ capacity: 2, clock: () => 0 });

    expect(queue.tryReserve()).toBe(true);
    expectCounts(queue, { size: 0, reserved: 1 });
    expect(queue.enqueue('a')).toBe(true);
    expectCounts(queue, { size: 1, reserved: 1 });
    expect(queue.tryReserve()).toBe(false);
    expect(queue.enqueue('b')).toBe(false);
    expectCounts(queue, { size: 1, reserved: 1 });
  });

  it('fills a reserved slot without needing a free one', () => {
    const queue = new BoundedQueue<string>({ capacity: 1, clock: () => 7 });
    queue.tryReserve();
    expect(queue.isFull).toBe(true);

    queue.enqueueReserved('a');
    expectCounts(queue, { size: 1, reserved: 0 });
    expect(queue.dequeue()).toEqual({ value: 'a', enqueuedAt: 7 });
  });

  it('gives a reserved slot back on release', () => {
    const queue = new BoundedQueue<string>({ capacity: 1 });
    queue.tryReserve();

    queue.release();
    expectCounts(queue, { size: 0, reserved: 0 });
    expect(queue.tryReserve()).toBe(true);
  });

  it('throws on a release with no slot reserved', () => {
    const queue = new BoundedQueue<string>({ capacity: 1 });

    expect(() => {
      queue.release();
    }).toThrow(RangeError);
    expectCounts(queue, { size: 0, reserved: 0 });
  });

  it('throws QueueFullError when filling a slot that was never reserved', () => {
    const queue = new BoundedQueue<string>({ capacity: 2 });
    queue.enqueue('a');

    expect(() => {
      queue.enqueueReserved('b');
    }).toThrow(QueueFullError);
    expect(() => {
      queue.enqueueReserved('b');
    }).toThrow('The queue is full (1/2 slots)');
    expectCounts(queue, { size: 1, reserved: 0 });
  });

  it('drains waiting items oldest first and keeps the reservations', () => {
    const queue = new BoundedQueue<string>({ capacity: 4 });
    queue.enqueue('a');
    queue.tryReserve();
    queue.enqueue('b');

    expect(queue.drain()).toEqual(['a', 'b']);
    expectCounts(queue, { size: 0, reserved: 1 });
    expect(queue.drain()).toEqual([]);
  });

  it('rejects a capacity that is missing, fractional, zero or not a number', () => {
    expect(() => new BoundedQueue({} as never)).toThrow(OptionTypeError);
    expect(() => new BoundedQueue({ capacity: 1.5 })).toThrow(OptionRangeError);
    expect(() => new BoundedQueue({ capacity: 0 })).toThrow(OptionRangeError);
    expect(() => new BoundedQueue({ capacity: 2 ** 31 })).toThrow(OptionRangeError);
    expect(() => new BoundedQueue({ capacity: '4' as never })).toThrow(
      'Expected `capacity` to be a number, got string "4"',
    );
    expect(() => new BoundedQueue(null as never)).toThrow(OptionTypeError);
    expect(() => new BoundedQueue({ capacity: 1, clock: 5 as never })).toThrow(
      'Expected `clock` to be a function, got number 5',
    );
  });
});
