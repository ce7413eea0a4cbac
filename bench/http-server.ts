/**
 * The server process of the HTTP suite, forked with an IPC channel: `node --import tsx
 * bench/http-server.ts <framework> <mode>`. It starts one server (see http-apps.ts), reports its
 * port, and then measures windows on request: `start` opens one, `stop` closes it and reports
 * the CPU time the process spent and the requests it received in between. It exits when the
 * channel closes.
 *
 * The figure that matters is CPU time per request. Requests per second depend on how much of the
 * two cores the load generator and everything else running on the machine leave to the server,
 * and swing by a factor of two from one round to the next; the CPU time the server spends on each
 * request does not depend on how long it waited for a core. `process.cpuUsage()` counts every
 * thread of the process, so garbage collection and libuv's pool are included.
 *
 * @module
 */

import type { AddressInfo } from 'node:net';

import { frameworks, modes, startServer, type Framework, type Mode } from './http-apps.js';

/** What the orchestrator sends. */
export type ServerCommand = { readonly type: 'start' } | { readonly type: 'stop' };

/** The first message: the server is listening. */
export interface ServerReady {
  readonly type: 'ready';
  readonly port: number;
}

/** The answer to `stop`: what happened in the window. */
export interface ServerWindow {
  readonly type: 'window';
  /** User plus system CPU time of the whole process, in microseconds. */
  readonly cpuMicros: number;
  /** Requests received; every one of them was answered by the time `stop` arrives. */
  readonly requests: number;
  /** Connections opened: as many as the load generator holds, when every response keeps alive. */
  readonly connections: number;
}

function isOneOf<T extends string>(values: readonly T[], value: string | undefined): value is T {
  return values.includes(value as T);
}

async function main(): Promise<void> {
  const [framework, mode] = process.argv.slice(2);
  if (!isOneOf<Framework>(frameworks, framework) || !isOneOf<Mode>(modes, mode)) {
    throw new Error(`Expected <framework> <mode>, got ${framework ?? ''} ${mode ?? ''}`);
  }

  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('Run this process with an IPC channel (fork)');

  const server = await startServer(framework, mode);
  // Counted in every mode alike, so this small cost weighs the same on each side of a ratio. The
  // load generator has finished its run before `stop` is sent, so every request received in the
  // window has been answered by then.
  let requests = 0;
  let connections = 0;
  server.prependListener('request', () => requests++);
  server.on('connection', () => connections++);

  let start = { cpu: process.cpuUsage(), requests, connections };
  process.on('message', (command: ServerCommand) => {
    if (command.type === 'start') {
      start = { cpu: process.cpuUsage(), requests, connections };
      send({ type: 'started' });
      return;
    }

    const cpu = process.cpuUsage(start.cpu);
    const window: ServerWindow = {
      type: 'window',
      cpuMicros: cpu.user + cpu.system,
      requests: requests - start.requests,
      connections: connections - start.connections,
    };
    send(window);
  });

  process.once('disconnect', () => {
    server.closeAllConnections();
    server.close();
    // Timers of the peer libraries and a held receiver would keep the process alive.
    process.exit(0);
  });

  const ready: ServerReady = { type: 'ready', port: (server.address() as AddressInfo).port };
  send(ready);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
