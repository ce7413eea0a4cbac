/**
 * Entry for Bun and Deno: runs the scenario in process (`app.request`), then again over the
 * runtime's own HTTP server on 127.0.0.1, and prints one JSON line with what it observed.
 */

import { createScenario, runScenario, type Observations } from './hono-scenario.js';

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** The few members of the Bun and Deno globals this entry uses. */
interface RuntimeGlobals {
  Bun?: {
    serve(options: { port: number; hostname: string; fetch: FetchHandler }): {
      port: number;
      stop(closeActiveConnections?: boolean): unknown;
    };
  };
  Deno?: {
    serve(
      options: { port: number; hostname: string; onListen: () => void },
      handler: FetchHandler,
    ): { addr: { port: number }; shutdown(): Promise<void> };
  };
}

interface Listening {
  runtime: string;
  port: number;
  stop(): Promise<void>;
}

const globals = globalThis as unknown as RuntimeGlobals;

function listen(handler: FetchHandler): Listening {
  const options = { port: 0, hostname: '127.0.0.1' };
  if (globals.Bun !== undefined) {
    const server = globals.Bun.serve({ ...options, fetch: handler });
    const stop = async (): Promise<void> => {
      await server.stop(true);
    };
    return { runtime: 'bun', port: server.port, stop };
  }

  if (globals.Deno !== undefined) {
    const server = globals.Deno.serve({ ...options, onListen: () => undefined }, handler);
    return { runtime: 'deno', port: server.addr.port, stop: () => server.shutdown() };
  }

  throw new Error('neither Bun nor Deno: run this entry under one of them');
}

async function main(): Promise<{ runtime: string; inProcess: Observations; http: Observations }> {
  const local = createScenario();
  const inProcess = await runScenario(local, (path, init) =>
    Promise.resolve(local.app.request(path, init)),
  );

  const served = createScenario();
  const server = listen(served.app.fetch);
  try {
    const http = await runScenario(served, (path, init) =>
      fetch(`http://127.0.0.1:${server.port}${path}`, init),
    );
    return { runtime: server.runtime, inProcess, http };
  } finally {
    await server.stop();
  }
}

main().then(
  (result) => {
    console.log(JSON.stringify({ ok: true, ...result }));
  },
  (error: unknown) => {
    console.log(JSON.stringify({ ok: false, error: String(error) }));
  },
);
