/**
 * The flooding client: `requests` webhook deliveries, `concurrency` at a time, the way a sender
 * catching up after an outage would send them. Each delivery carries a unique id.
 *
 * Without `retry`, each event is sent once and its answer recorded. With `retry`, a rejected
 * event is sent again after its `Retry-After`, multiplied by `timeScale` so that the demo stays
 * short, until it is accepted or `maxAttempts` is reached.
 *
 * @module
 */

import { Pool } from 'undici';

/** How the client floods. */
export interface FloodOptions {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly requests: number;
  /** Deliveries in flight at once, each on its own connection. */
  readonly concurrency: number;
  /** The size of each event's padding, so that queued events weigh what real ones do. */
  readonly payloadBytes: number;
  readonly retry: boolean;
  /** Factor applied to every `Retry-After` before waiting it out (1 = real time). */
  readonly timeScale: number;
  /** Attempts per event, the first included, before the client gives up on it. */
  readonly maxAttempts: number;
}

/** Live counts, read by the progress display while the flood runs. */
export interface FloodCounters {
  /** Requests answered (or failed), retries included. */
  answered: number;
  accepted: number;
  rejected: number;
  /** Answers other than 202 and 429/503. */
  unexpected: number;
  transportErrors: number;
  /** Events accepted after at least one rejection. */
  acceptedAfterRetry: number;
}

/** What the flood saw, once every delivery is settled. */
export interface FloodResult {
  readonly counters: FloodCounters;
  /** The ids answered with 202, in the order the answers came. */
  readonly acceptedIds: readonly string[];
  /** Ids the client gave up on: never accepted. */
  readonly undeliveredIds: readonly string[];
  /** How often each `Retry-After` value (in seconds) was received. */
  readonly retryAfterSeconds: ReadonlyMap<number, number>;
  /** Every status received, with its count. */
  readonly statuses: ReadonlyMap<number, number>;
  /** The first transport error, to show when there was one. */
  readonly firstError: string | undefined;
  readonly durationMs: number;
}

/** Starts the flood; `counters` updates while it runs and the promise gives the full result. */
export function flood(options: FloodOptions): {
  counters: FloodCounters;
  done: Promise<FloodResult>;
} {
  const counters: FloodCounters = {
    answered: 0,
    accepted: 0,
    rejected: 0,
    unexpected: 0,
    transportErrors: 0,
    acceptedAfterRetry: 0,
  };
  return { counters, done: run(options, counters) };
}

async function run(options: FloodOptions, counters: FloodCounters): Promise<FloodResult> {
  const pool = new Pool(options.origin, { connections: options.concurrency });
  const padding = 'x'.repeat(options.payloadBytes);
  const acceptedIds: string[] = [];
  const undeliveredIds: string[] = [];
  const retryAfterSeconds = new Map<number, number>();
  const statuses = new Map<number, number>();
  let firstError: string | undefined;
  let next = 0;
  const startedAt = performance.now();

  /** One attempt; the status, and `Retry-After` in seconds when the answer carried one. */
  const send = async (id: string): Promise<{ status: number; retryAfter: number | undefined }> => {
    const body = JSON.stringify({ id, type: 'order.created', data: { padding } });
    const response = await pool.request({
      path: '/webhooks',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await response.body.dump();
    const header = response.headers['retry-after'];
    const retryAfter = typeof header === 'string' ? Number(header) : undefined;
    return { status: response.statusCode, retryAfter };
  };

  /** Delivers one event: once, or until accepted when retrying. */
  const deliver = async (id: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      let answer: Awaited<ReturnType<typeof send>>;
      try {
        answer = await send(id);
      } catch (error) {
        counters.answered++;
        counters.transportErrors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        undeliveredIds.push(id);
        return;
      }

      counters.answered++;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 202) {
        counters.accepted++;
        if (attempt > 1) counters.acceptedAfterRetry++;
        acceptedIds.push(id);
        return;
      }

      const shed = answer.status === 429 || answer.status === 503;
      if (shed) counters.rejected++;
      else counters.unexpected++;
      if (answer.retryAfter !== undefined) {
        retryAfterSeconds.set(
          answer.retryAfter,
          (retryAfterSeconds.get(answer.retryAfter) ?? 0) + 1,
        );
      }

      if (!shed || !options.retry || attempt >= options.maxAttempts) {
        undeliveredIds.push(id);
        return;
      }

      // Honour the receiver's estimate, scaled down so that a demo run stays short.
      const waitMs = (answer.retryAfter ?? 1) * 1_000 * options.timeScale;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  };

  const lane = async (): Promise<void> => {
    for (let n = next++; n < options.requests; n = next++) await deliver(`evt-${n}`);
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, lane));
  } finally {
    await pool.close();
  }

  return {
    counters,
    acceptedIds,
    undeliveredIds,
    retryAfterSeconds,
    statuses,
    firstError,
    durationMs: performance.now() - startedAt,
  };
}
