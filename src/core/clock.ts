/**
 * Time and chance, injectable so that tests control both.
 *
 * @module
 */

/** Returns the current time in milliseconds. Only differences between readings matter. */
export type Clock = () => number;

/** Returns a uniformly distributed number in `[0, 1)`. */
export type RandomSource = () => number;

/**
 * The default clock: `performance.now()`, which is monotonic (a wall-clock change never makes a
 * dwell negative) and exists in Node, Bun, Deno, browsers and Workers alike.
 */
export const monotonicClock: Clock = () => performance.now();

/** The default random source. */
export const mathRandom: RandomSource = () => Math.random();
