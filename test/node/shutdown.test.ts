import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';

import { createBackpressure } from '../../src/index.js';
import { gracefulShutdown } from '../../src/node/shutdown.js';

const fixture = new URL('./fixtures/shutdown-server.ts', import.meta.url).pathname;
const adapters = ['node', 'express', 'fastify', 'koa', 'hono'];

interface Outcome {
  accepted: number[];
  processed: number[];
  handedBack: number[];
  code: number | null;
}

/** Floods a receiver process, sends SIGTERM part-way, and collects what became of each event. */
async function floodThroughShutdown(adapter: string, timeoutMs: number, stallEvery: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fixture, adapter, String(timeoutMs), String(stallEvery)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const { port } = JSON.parse(String((await lines.next()).value)) as { port: number };
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const agent = new Agent({ connections: 32 });
  const accepted: number[] = [];
  let answered = 0;
  await Promise.all(
    Array.from({ length: 600 }, async (_, id) => {
      try {
        const response = await request(`http://127.0.0.1:${port}/receive`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id }),
          dispatcher: agent,
        });
        await response.body.dump();
        if (response.statusCode === 202) accepted.push(id);
      } catch {
        // Once the server stops listening, late requests fail to connect: they were never
        // accepted, so they owe nothing.
      }

      if (++answered === 200) child.kill('SIGTERM');
    }),
  );
  await agent.close();

  const report = JSON.parse(String((await lines.next()).value)) as Omit<Outcome, 'accepted'>;
  await exited;
  return { ...report, accepted };
}

describe('gracefulShutdown', () => {
  it.each(adapters)(
    'processes or hands back every event answered 202 when SIGTERM arrives mid-flood (%s)',
    async (adapter) => {
      const outcome = await floodThroughShutdown(adapter, 5_000, 0);
      const settled = new Set([...outcome.processed, ...outcome.handedBack]);

      expect(outcome.code).toBe(0);
      expect(outcome.accepted.length).toBeGreaterThan(0);
      // Shutdown began mid-flood: the requests after it were refused.
      expect(outcome.accepted.length).toBeLessThan(600);
      for (const id of outcome.accepted) expect(settled.has(id)).toBe(true);
      expect(settled.size).toBe(outcome.processed.length + outcome.handedBack.length);
    },
  );

  it.each(adapters)(
    'hands stalled and queued events to onUnprocessed and exits when the deadline passes (%s)',
    async (adapter) => {
      const outcome = await floodThroughShutdown(adapter, 300, 5);
      const settled = new Set([...outcome.processed, ...outcome.handedBack]);

      expect(outcome.code).toBe(0);
      expect(outcome.handedBack.length).toBeGreaterThan(0);
      for (const id of outcome.accepted) expect(settled.has(id)).toBe(true);
      expect(settled.size).toBe(outcome.processed.length + outcome.handedBack.length);
    },
  );

  describe('options', () => {
    const receiver = createBackpressure({ process: () => undefined });
    afterAll(() => receiver.close());

    it('rejects a missing receiver and wrong types at once, naming the option', () => {
      // @ts-expect-error the receiver is required
      expect(() => gracefulShutdown({})).toThrow(/`receiver`/);
      // @ts-expect-error timeoutMs is a number
      expect(() => gracefulShutdown({ receiver, timeoutMs: '1s' })).toThrow(TypeError);
      expect(() => gracefulShutdown({ receiver, graceMs: -1 })).toThrow(RangeError);
      // Timers fire at once past 2^31 - 1 ms: such a deadline would end the process at once.
      expect(() => gracefulShutdown({ receiver, timeoutMs: 2 ** 31 })).toThrow(/`timeoutMs`/);
    });

    it('can shut down without exiting, and removes its signal listeners', async () => {
      const before = process.listenerCount('SIGTERM');
      const handle = gracefulShutdown({ receiver, exit: false, signals: ['SIGTERM'] });
      expect(process.listenerCount('SIGTERM')).toBe(before + 1);

      await expect(handle.shutdown()).resolves.toMatchObject({ drained: true });
      expect(process.listenerCount('SIGTERM')).toBe(before);
      expect(receiver.isClosed).toBe(true);
    });
  });
});
