import { describe, expect, it } from 'vitest';

import {
  BoundedQueue,
  createBackpressure,
  type QueuedItem,
  type ReceiverQueue,
} from '../../src/index.js';
import { controlledProcess, deferred, reserve, settle, type Deferred } from './fixtures.js';

/**
 * A queue in the shape of a networked backend: counters are local and synchronous, while every
 * enqueue and dequeue resolves only when the test lets it.
 */
function remoteQueue(capacity: number): ReceiverQueue<string> & {
  readonly pendingEnqueues: Deferred<void>[];
  readonly pendingDequeues: Deferred<void>[];
  readonly operations: string[];
} {
  let now = 0;
  const store = new BoundedQueue<string>({ capacity, clock: () => now++ });
  const pendingEnqueues: Deferred<void>[] = [];
  const pendingDequeues: Deferred<void>[] = [];
  const operations: string[] = [];
  return {
    capacity,
    pendingEnqueues,
    pendingDequeues,
    operations,
    get size() {
      return store.size;
    },
    get reserved() {
      return store.reserved;
    },
    tryReserve: () => store.tryReserve(),
    release: () => {
      store.release();
    },
    async enqueueReserved(value: string): Promise<void> {
      operations.push(`enqueue ${value}`);
      const gate = deferred();
      pendingEnqueues.push(gate);
      await gate.promise;
      store.enqueueReserved(value);
    },
    async dequeue(): Promise<QueuedItem<string> | undefined> {
      // The item leaves the store at once, as a stream read claims it before the reply arrives.
      const item = store.dequeue();
      operations.push(`dequeue ${item?.value ?? 'nothing'}`);
      const gate = deferred();
      pendingDequeues.push(gate);
      await gate.promise;
      return item;
    },
    async drain(): Promise<string[]> {
      operations.push('drain');
      await Promise.resolve();
      return store.drain();
    },
    peekEnqueuedAt: () => store.peekEnqueuedAt(),
  };
}

describe('a custom ReceiverQueue', () => {
  it('is used for every enqueue and dequeue, and an enqueue resolves once the queue has the event', async () => {
    const queue = remoteQueue(10);
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({ queue, process, concurrency: 1 });
    const slot = reserve(receiver);
    expect(receiver.snapshot()).toMatchObject({ capacity: 10, reserved: 1 });

    let enqueued = false;
    void slot.enqueue('a').then(() => (enqueued = true));
    await settle();
    expect(enqueued).toBe(false);
    expect(receiver.snapshot().counters.enqueued).toBe(0);

    queue.pendingEnqueues[0]!.resolve();
    await settle();
    expect(enqueued).toBe(true);
    expect(receiver.snapshot()).toMatchObject({ queued: 0, reserved: 0, inFlight: 1 });
    expect(receiver.snapshot().counters.enqueued).toBe(1);
    expect(calls).toHaveLength(0);

    queue.pendingDequeues[0]!.resolve();
    await settle();
    expect(calls.map((call) => call.event)).toEqual(['a']);
    calls[0]!.resolve();
    await receiver.onIdle();
    expect(queue.operations).toEqual(['enqueue a', 'dequeue a']);
    expect(receiver.snapshot().counters.processed).toBe(1);
  });

  it('returns the events still in the queue through its drain at close', async () => {
    const queue = remoteQueue(10);
    const { process } = controlledProcess<string>();
    const receiver = createBackpressure({ queue, process, concurrency: 1 });
    const slots = [reserve(receiver), reserve(receiver)];
    const enqueues = slots.map((slot, i) => slot.enqueue(`e${i}`));
    for (const gate of queue.pendingEnqueues) gate.resolve();
    await Promise.all(enqueues);
    queue.pendingDequeues[0]!.resolve();
    await settle();

    const result = await receiver.close({ timeoutMs: 0 });
    expect(result).toEqual({ unprocessed: ['e1'], interrupted: ['e0'], drained: false });
    expect(queue.operations).toContain('drain');
  });

  it('gives the slot back when the queue fails to store the event', async () => {
    const store = new BoundedQueue<string>({ capacity: 10 });
    let failure: 'throw' | 'reject' = 'throw';
    const receiver = createBackpressure<string>({
      process: () => undefined,
      queue: {
        capacity: 10,
        get size() {
          return store.size;
        },
        get reserved() {
          return store.reserved;
        },
        tryReserve: () => store.tryReserve(),
        release: () => {
          store.release();
        },
        enqueueReserved: () => {
          if (failure === 'throw') throw new Error('backend unreachable');
          return Promise.reject(new Error('backend timed out'));
        },
        dequeue: () => store.dequeue(),
        drain: () => store.drain(),
      },
    });

    const first = reserve(receiver);
    await expect(first.enqueue('a')).rejects.toThrow('backend unreachable');
    expect(first.state).toBe('released');
    expect(receiver.snapshot()).toMatchObject({ depth: 0, reserved: 0 });
    failure = 'reject';
    const second = reserve(receiver);
    await expect(second.enqueue('b')).rejects.toThrow('backend timed out');
    expect(second.state).toBe('released');
    expect(receiver.snapshot()).toMatchObject({ depth: 0, reserved: 0 });
    expect(receiver.snapshot().counters).toMatchObject({ admitted: 2, enqueued: 0, released: 2 });
  });

  it('loses no event whose dequeue was still pending at the close deadline', async () => {
    const queue = remoteQueue(10);
    const { process, calls } = controlledProcess<string>();
    const receiver = createBackpressure({ queue, process, concurrency: 1 });
    const slot = reserve(receiver);
    const enqueue = slot.enqueue('a');
    queue.pendingEnqueues[0]!.resolve();
    await enqueue;
    expect(queue.operations).toEqual(['enqueue a', 'dequeue a']);

    // The deadline passes while the backend is still answering the dequeue: close() waits for
    // that answer rather than dropping what it brings.
    const closing = receiver.close({ timeoutMs: 0 });
    // A zero-delay timer set after close()'s own fires after it: the deadline has passed.
    await new Promise((resolve) => setTimeout(resolve, 0));
    queue.pendingDequeues[0]!.resolve();
    const result = await closing;
    await settle();

    // The event left the backend when the dequeue began; close() must account for it.
    expect(calls).toHaveLength(0);
    expect([...result.unprocessed, ...result.interrupted]).toEqual(['a']);
    expect(receiver.snapshot().counters.returned).toBe(1);
  });
});
