import { describe, expect, it } from 'vitest';

import { Listeners } from '../../src/core/listeners.js';

describe('Listeners', () => {
  it('calls every listener with the argument, in the order they were added', () => {
    const calls: string[] = [];
    const listeners = new Listeners<number>(() => undefined);
    listeners.add((n) => calls.push(`a${n}`));
    listeners.add((n) => calls.push(`b${n}`));

    listeners.emit(1);
    expect(calls).toEqual(['a1', 'b1']);
    expect(listeners.size).toBe(2);
  });

  it('removes a listener through its disposer, and a second call does nothing', () => {
    const calls: number[] = [];
    const listeners = new Listeners<number>(() => undefined);
    const dispose = listeners.add((n) => calls.push(n));

    dispose();
    dispose();
    listeners.emit(1);
    expect(calls).toEqual([]);
    expect(listeners.size).toBe(0);
  });

  it('keeps the same function added twice as two listeners, disposed of apart', () => {
    const calls: number[] = [];
    const listener = (n: number): void => {
      calls.push(n);
    };
    const listeners = new Listeners<number>(() => undefined);
    const disposeFirst = listeners.add(listener);
    listeners.add(listener);

    listeners.emit(1);
    disposeFirst();
    listeners.emit(2);
    expect(calls).toEqual([1, 1, 2]);
  });

  it('reports a throwing listener and still calls the others', () => {
    const errors: unknown[] = [];
    const calls: number[] = [];
    const listeners = new Listeners<number>((error) => errors.push(error));
    const failure = new Error('listener failed');
    listeners.add(() => {
      throw failure;
    });
    listeners.add((n) => calls.push(n));

    expect(() => {
      listeners.emit(3);
    }).not.toThrow();
    expect(errors).toEqual([failure]);
    expect(calls).toEqual([3]);
  });
});
