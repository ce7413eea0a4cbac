/**
 * The load generator process of the HTTP suite, forked with an IPC channel: `node --import tsx
 * bench/http-load.ts`. For each `run` message it drives autocannon against one URL for a bounded
 * time and answers with what autocannon saw. It exits when the channel closes.
 *
 * It runs apart from both the server and the orchestrator: in the server's process it would
 * count towards the CPU time being measured, and in the orchestrator's it would share an event
 * loop with the IPC traffic that opens and closes the measuring windows.
 *
 * @module
 */

import autocannon from 'autocannon';

/** One load run: keep-alive connections posting the same small JSON body. */
export interface LoadCommand {
  readonly type: 'run';
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  readonly body: string;
}

/** What autocannon saw during a run. */
export interface LoadResult {
  readonly type: 'result';
  /** Responses received. */
  readonly requests: number;
  /** Wall-clock length of the run, in seconds. */
  readonly seconds: number;
  /** Responses by status code. */
  readonly statusCounts: Readonly<Record<string, number>>;
  /** Connection errors and timeouts. */
  readonly errors: number;
}

async function run(command: LoadCommand): Promise<LoadResult> {
  const result = await autocannon({
    url: command.url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: command.body,
    connections: command.connections,
    pipelining: 1,
    duration: command.seconds,
  });

  const statusCounts: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCounts[status] = stats.count ?? 0;
  }

  return {
    type: 'result',
    requests: result.requests.total,
    seconds: result.duration,
    statusCounts,
    errors: result.errors,
  };
}

const send = process.send?.bind(process);
if (send === undefined) throw new Error('Run this process with an IPC channel (fork)');

process.on('message', (command: LoadCommand) => {
  run(command).then(send, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
process.once('disconnect', () => process.exit(0));
send({ type: 'ready' });
