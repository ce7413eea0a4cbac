/**
 * Starting and stopping test servers: every adapter test listens on 127.0.0.1:0 the same way.
 */

import { once } from 'node:events';
import type { Server } from 'node:http';

import type { StartedServer } from './contract.js';

/**
 * Waits until a server whose `listen()` was called is listening, and describes it with its URL
 * and a close that also ends keep-alive connections.
 */
export async function started(server: Server): Promise<StartedServer> {
  if (!server.listening) await once(server, 'listening');

  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, server, close: () => closeServer(server) };
}

/** Stops listening and ends every connection, idle or not. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });
}
