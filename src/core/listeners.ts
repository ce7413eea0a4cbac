/**
 * A minimal listener set: `on(listener)` returns its own disposer.
 *
 * @module
 */

/** Removes the listener it was returned for. Calling it again does nothing. */
export type Disposer = () => void;

/** Listeners for one kind of event. A throwing listener is reported and breaks nothing. */
export class Listeners<A> {
  readonly #listeners = new Set<(arg: A) => void>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  get size(): number {
    return this.#listeners.size;
  }

  add(listener: (arg: A) => void): Disposer {
    // Wrapping lets the same function be added twice and disposed of independently.
    const entry = (arg: A): void => {
      listener(arg);
    };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(arg: A): void {
    for (const listener of this.#listeners) {
      try {
        listener(arg);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
