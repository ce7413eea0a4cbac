/**
 * What every server of the HTTP suite is built from: the bare route's body reader and event sink,
 * the answer both routes send, and the two receivers (one that always admits, one saturated so
 * that it always rejects).
 *
 * @module
 */

import type { IncomingMessage } from 'node:http';

import { createBackpressure, type Backpressure } from '../src/index.js';

/**
 * The answer to an accepted event: the same status, type and bytes as the receiver route's, so
 * that the bare and guarded servers write responses of equal cost.
 */
export const accepted = {
  status: 202,
  headers: { 'content-type': 'application/json' },
  body: '{"accepted":true}',
} as const;

/** The largest body the bare route reads, as the receiver route's default `limitBytes`. */
const LIMIT_BYTES = 1_048_576;

/** A body the bare route cannot take: answered 400, which the suite then reports. */
export class BareBodyError extends Error {}

/**
 * Reads and parses a JSON request body the plain way: content type, declared length and running
 * length checked, chunks joined, `JSON.parse`. It does what the receiver route does with a body,
 * without the backpressure, so that the difference between the two is the backpressure alone.
 *
 * @example
 * const event = await readJsonBody(req);
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  if (req.headers['content-type']?.startsWith('application/json') !== true) {
    return Promise.reject(new BareBodyError('Expected a JSON body'));
  }

  if (Number(req.headers['content-length'] ?? 0) > LIMIT_BYTES) {
    return Promise.reject(new BareBodyError('Body too large'));
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.byteLength;
      if (length <= LIMIT_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (length > LIMIT_BYTES) {
        reject(new BareBodyError('Body too large'));
        return;
      }

      try {
        resolve(JSON.parse(Buffer.concat(chunks, length).toString('utf8')));
      } catch {
        reject(new BareBodyError('Invalid JSON'));
      }
    });
    req.on('error', reject);
  });
}

/**
 * An unbounded stand-in for a queue: events go into a plain array that a worker with nothing to
 * do empties once per turn of the event loop. This is the bare route's "queue it for later".
 *
 * @example
 * const sink = createSink();
 * sink({ id: 1 });
 */
export function createSink(): (event: unknown) => void {
  let events: unknown[] = [];
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    const batch = events;
    events = [];
    for (const event of batch) work(event);
  };

  return (event) => {
    events.push(event);
    if (scheduled) return;

    scheduled = true;
    setImmediate(drain);
  };
}

/** The work done per event, by the bare sink and the admitting receiver alike: none. */
function work(event: unknown): unknown {
  // Nothing: the suite measures the way in, not the processing.
  return event;
}

/**
 * A receiver that admits every request of the suite: its capacity is far above what 50
 * connections can hold in flight, and its `process` returns at once.
 *
 * @example
 * const receiver = admittingReceiver();
 */
export function admittingReceiver(): Backpressure<unknown> {
  return createBackpressure<unknown>({ capacity: 100_000, process: work });
}

/**
 * A receiver that rejects every request: its one worker is held by an event that never finishes,
 * and events pushed behind it fill the queue past the high watermark. With nothing draining, the
 * depth never falls to the low watermark, so the gate stays closed for the life of the process.
 *
 * @example
 * const receiver = await saturatedReceiver();
 * receiver.tryAdmit().admitted; // false
 */
export async function saturatedReceiver(): Promise<Backpressure<unknown>> {
  const never = new Promise<void>(() => undefined);
  const receiver = createBackpressure<unknown>({
    capacity: 1_000,
    concurrency: 1,
    process: () => never,
  });

  for (let id = 0; ; id++) {
    const decision = await receiver.push({ id });
    if (!decision.admitted) break;
  }

  if (receiver.isAccepting) throw new Error('The saturated receiver still admits');
  return receiver;
}
